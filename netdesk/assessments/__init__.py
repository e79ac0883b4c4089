"""Assessments: cycles, exams, ratings and KPI evidence synthesised into
each agent's levels and grade."""

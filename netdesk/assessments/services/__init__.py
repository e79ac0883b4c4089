"""Writes for assessments: cycles, ratings, synthesis, validation, exams."""

"""Writes for competencies: frameworks and levels, assessments, routing."""

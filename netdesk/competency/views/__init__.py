"""Competency screens, one module per area."""

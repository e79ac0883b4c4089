"""Competency framework screens, one module per area: agents, frameworks, teams."""

"""Competency API: framework endpoints."""

from ninja import Router

router = Router(tags=["competency"])

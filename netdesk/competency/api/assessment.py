"""Competency API: assessment endpoints."""

from ninja import Router

router = Router(tags=["competency"])

"""Competency API: routing endpoints."""

from ninja import Router

router = Router(tags=["competency"])

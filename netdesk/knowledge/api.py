"""The knowledge base's API under /api/v1/kb."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["knowledge"])

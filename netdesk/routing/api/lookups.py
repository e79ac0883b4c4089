"""Who is calling the routing API."""

from __future__ import annotations

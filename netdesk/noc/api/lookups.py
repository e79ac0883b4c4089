"""What the NOC endpoints share."""

from __future__ import annotations

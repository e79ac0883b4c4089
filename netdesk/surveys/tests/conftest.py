"""Survey tests: the desk of `desk.py` as a fixture."""

from __future__ import annotations

import pytest

from netdesk.surveys.tests.desk import Desk, make_desk


@pytest.fixture
def desk(db: None) -> Desk:  # the database must be ready first
    return make_desk()

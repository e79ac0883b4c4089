"""Secrets carried in URL paths never reach the log."""

from __future__ import annotations

import logging

from netdesk.core.logsecrets import SecretPathFilter, redacted


def test_paths_with_secrets_are_redacted() -> None:
    assert redacted("Not Found: /api/v1/cti/cti_abc123XYZ") == "Not Found: /api/v1/cti/[secret]"
    assert redacted("/api/v1/cti/cti_abc/caller?number=1") == "/api/v1/cti/[secret]/caller?number=1"
    assert redacted("/portal/sign-in/link/s3cr3t-_x/") == "/portal/sign-in/link/[secret]/"
    assert redacted("/api/v1/tickets/TT-1") == "/api/v1/tickets/TT-1"


def test_filter_rewrites_arguments() -> None:
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "%s: %s",
        ("Unprocessable Entity", "/api/v1/cti/cti_secretvalue"),
        None,
    )
    assert SecretPathFilter().filter(record)
    assert "cti_secretvalue" not in record.getMessage()


def test_the_desks_log_handler_redacts() -> None:
    handlers = logging.getLogger().handlers
    console = [h for h in handlers if any(isinstance(f, SecretPathFilter) for f in h.filters)]
    assert console, "the console handler of settings.LOGGING carries the filter"
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "%s: %s",
        ("Not Found", "/api/v1/cti/cti_secretvalue"),
        None,
    )
    assert console[0].filter(record)
    assert "cti_secretvalue" not in record.getMessage()

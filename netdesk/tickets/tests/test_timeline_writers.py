"""The ticket's timeline is written only by netdesk/tickets/events/: a scan
of the product's source finds every other place that builds or saves a
TicketEvent (tests and migrations aside)."""

from __future__ import annotations

import ast
from pathlib import Path

import netdesk

ROOT = Path(netdesk.__file__).parent
WRITER = ROOT / "tickets" / "events"
WRITES = {"create", "bulk_create", "get_or_create", "update_or_create", "update", "bulk_update"}


def _is_model(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "TicketEvent"


def timeline_writes(source: str) -> list[int]:
    """Lines that build a TicketEvent, write through its manager (or a
    ticket's `events`), or hand the model to a generic writer."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        built = _is_model(func)
        handed = any(_is_model(argument) for argument in node.args)
        managed = (
            isinstance(func, ast.Attribute)
            and func.attr in WRITES
            and isinstance(func.value, ast.Attribute)
            and (
                (func.value.attr in ("objects", "_default_manager") and _is_model(func.value.value))
                or func.value.attr == "events"
            )
        )
        if built or handed or managed:
            lines.append(node.lineno)
    return lines


def test_the_scan_finds_each_way_of_writing_an_event() -> None:
    source = (
        "TicketEvent(ticket=t, kind='x')\n"
        "TicketEvent.objects.create(ticket=t)\n"
        "TicketEvent.objects.bulk_create(rows)\n"
        "ticket.events.create(kind='x')\n"
        "insert(TicketEvent, rows)\n"
        "TicketEvent.objects.filter(ticket=t).count()\n"
    )
    assert timeline_writes(source) == [1, 2, 3, 4, 5]


def test_only_the_tickets_event_functions_write_the_timeline() -> None:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if path.is_relative_to(WRITER) or "tests" in parts or "migrations" in parts:
            continue
        found += [f"{path.relative_to(ROOT)}:{line}" for line in timeline_writes(path.read_text())]
    assert found == [], "write timeline events through netdesk.tickets.events"

"""What a ticket's stored SLA fingerprint is keyed with: a digest of the
policies its figures read, not of every policy of the desk.

A ticket's SLA timers read one SLA policy (the first, in rank order, whose
conditions it meets), every OLA policy its groups might have (which ones
depends on its timeline, not read when deciding what to recompute), the
escalation rules and the arithmetic's version. Keying its fingerprint with
a digest of just those means that an edit to one SLA policy (its targets,
its calendar, a holiday of that calendar) recomputes only the tickets
under that policy: at a million open tickets, the key accounts' policy
changed no longer recomputes the residential customers. A new or
re-ranked SLA policy changes which policy a ticket meets first, and with
it the digest, for exactly the tickets it now takes; any edit to an OLA
policy or an escalation rule still recomputes every ticket.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from django.db.models import Model

from netdesk.sla.models import EscalationRule, PolicyKind, SlaPolicy
from netdesk.sla.selectors import FACT_COLUMNS, facts_of_row, sla_policy_for

# Raised whenever the arithmetic (engine.py, timers.py) starts giving other
# figures for the same inputs: every stored fingerprint then differs, and
# the next recompute goes through every ticket.
ARITHMETIC_VERSION = 2  # 2: keyed per SLA policy (a fingerprint of version 1 differs)

# Where, in a row of FACT_COLUMNS, the policy lookup finds what each kind
# of condition reads: ticket type, priority, customer and parent account,
# segment and parent's segment (a key account's site is served as a key
# account), product.
_CONDITION_COLUMNS = {
    "match_ticket_type": (5,),
    "match_priority": (6,),
    "match_customer_id": (9, 11),
    "match_segment": (10, 13),
    "match_product": (12,),
}


def _values(obj: Model) -> tuple[object, ...]:
    return tuple(getattr(obj, f.attname) for f in obj._meta.concrete_fields)


def _by_pk(objects: Any) -> list[tuple[object, ...]]:
    return [_values(obj) for obj in sorted(objects, key=lambda obj: obj.pk)]


def _policy_parts(policy: SlaPolicy) -> tuple[object, ...]:
    calendar = policy.calendar
    return (
        _values(policy),
        _by_pk(policy.targets.all()),
        _values(calendar),
        _by_pk(calendar.hours.all()),
        _by_pk(calendar.holidays.all()),
    )


def _digest(parts: object) -> bytes:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()


class PolicyDigests:
    """The fingerprint keys of one batch: per combination of the facts the
    SLA policy lookup reads, the digest of what that ticket's figures read.
    Worked out once per combination (a few thousand at most in a batch)."""

    def __init__(self, policies: list[SlaPolicy], rules: list[EscalationRule]) -> None:
        self._sla = [p for p in policies if p.kind == PolicyKind.SLA]
        shared = (
            ARITHMETIC_VERSION,
            [_policy_parts(p) for p in policies if p.kind == PolicyKind.OLA],
            [_values(rule) for rule in rules],
        )
        self._per_policy: dict[int | None, bytes] = {None: _digest((shared, None))}
        for policy in self._sla:
            self._per_policy[policy.pk] = _digest((shared, _policy_parts(policy)))
        self._by_lookup: dict[object, bytes] = {}
        # Only the columns some policy's conditions read tell tickets apart:
        # with policies per priority, five lookups serve a whole batch.
        columns = sorted(
            {
                column
                for name, read in _CONDITION_COLUMNS.items()
                if any(getattr(policy, name) for policy in self._sla)
                for column in read
            }
        )
        self._lookup: Callable[[Sequence[Any]], object] = (
            itemgetter(*columns) if columns else (lambda _row: None)
        )

    def key_for(self, row: Sequence[Any]) -> bytes:
        """The key for a row that starts with FACT_COLUMNS, as the driver
        handed it over."""
        lookup = self._lookup(row)
        key = self._by_lookup.get(lookup)
        if key is None:
            policy = sla_policy_for(facts_of_row(row[: len(FACT_COLUMNS)]), self._sla)
            key = self._by_lookup[lookup] = self._per_policy[policy.pk if policy else None]
        return key

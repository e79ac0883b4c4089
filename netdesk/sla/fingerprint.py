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
it the digest, for exactly the tickets it now takes. Likewise only the
escalation rules that can apply to a ticket's timers are in its digest:
those of its SLA policy, of any OLA policy or of none, whose priority and
segment conditions the ticket meets. An edit to the key accounts' P1 rule
recomputes the key accounts' P1 tickets; any edit to an OLA policy still
recomputes every ticket.
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
# 2: keyed per SLA policy; 3: and with only the rules that can apply.
ARITHMETIC_VERSION = 3

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
    SLA policy lookup and the rules' conditions read, the digest of what
    that ticket's figures read. Worked out once per combination (a few
    thousand at most in a batch)."""

    def __init__(self, policies: list[SlaPolicy], rules: list[EscalationRule]) -> None:
        self._sla = [p for p in policies if p.kind == PolicyKind.SLA]
        self._ola_ids = {p.pk for p in policies if p.kind == PolicyKind.OLA}
        shared = (
            ARITHMETIC_VERSION,
            [_policy_parts(p) for p in policies if p.kind == PolicyKind.OLA],
        )
        self._per_policy: dict[int | None, bytes] = {None: _digest((shared, None))}
        for policy in self._sla:
            self._per_policy[policy.pk] = _digest((shared, _policy_parts(policy)))
        self._rules = [(rule, _values(rule)) for rule in rules]
        self._by_lookup: dict[object, bytes] = {}
        # Only the columns some policy's or rule's conditions read tell
        # tickets apart: with policies per priority, five lookups serve a
        # whole batch.
        conditions = [
            name
            for name in _CONDITION_COLUMNS
            if any(getattr(policy, name) for policy in self._sla)
            or (name == "match_priority" and any(r.match_priority is not None for r in rules))
            or (name == "match_segment" and any(r.match_segment for r in rules))
        ]
        columns = sorted({column for name in conditions for column in _CONDITION_COLUMNS[name]})
        self._lookup: Callable[[Sequence[Any]], object] = (
            itemgetter(*columns) if columns else (lambda _row: None)
        )

    def key_for(self, row: Sequence[Any]) -> bytes:
        """The key for a row that starts with FACT_COLUMNS, as the driver
        handed it over."""
        lookup = self._lookup(row)
        key = self._by_lookup.get(lookup)
        if key is None:
            facts = facts_of_row(row[: len(FACT_COLUMNS)])
            policy = sla_policy_for(facts, self._sla)
            pk = policy.pk if policy else None
            # As `rules_for` picks them for a timer of this ticket: its SLA
            # timers are of `policy`, its OLA timers of any OLA policy.
            applying = [
                values
                for rule, values in self._rules
                if (
                    rule.policy_id is None
                    or rule.policy_id == pk
                    or rule.policy_id in self._ola_ids
                )
                and (rule.match_priority is None or rule.match_priority == facts.priority)
                and (not rule.match_segment or rule.match_segment == facts.segment)
            ]
            key = self._by_lookup[lookup] = _digest((self._per_policy[pk], applying))
        return key

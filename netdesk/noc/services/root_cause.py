"""Naming an incident's likeliest root alarm, and learning what the ranking
needs from the desk's own alarm history.

`incident_root_cause_refresh` runs in every alarm batch that touches an
incident, so it reads the incident's alarms in one query and everything
else from memos: the newest `RootCauseModel` and the upstream forest. The
ranking itself is `netdesk.noc.rootcause.ranking`: by how often each alarm
type came first in this network's past incidents, ties by start; without a
learned model, the earliest alarm first. docs/root-cause.md says how far
to trust it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from netdesk.core.bulk import rows_update
from netdesk.core.errors import ValidationFailed
from netdesk.core.memo import Memo, data_changed
from netdesk.network.selectors import topology
from netdesk.noc.models import Alarm, NetworkIncident, RootCauseModel
from netdesk.noc.rootcause.learning import history_learn
from netdesk.noc.rootcause.ranking import GroupAlarm, History, Weights, rank

log = logging.getLogger(__name__)
# The ranking reads an incident's earliest alarms, up to this many: a root
# alarm comes early, and an incident that has grown to a core router's
# thousands of alarms must not have all of them read and ranked again for
# every batch that touches it.
RANKED_ALARMS = 2000


@dataclass(frozen=True)
class Learned:
    """The newest learned model as the ranking uses it (None: not learned yet)."""

    history: History | None = None
    weights: Weights = field(default_factory=Weights)
    model_id: int | None = None


def _newest() -> Learned:
    model = RootCauseModel.objects.order_by("-learned_at", "-id").first()
    if model is None:
        return Learned()
    try:
        history = History.from_json(model.parameters["history"])
        weights = Weights.from_json(model.parameters.get("weights", {}))
    except (KeyError, TypeError, ValueError) as error:
        # A model the ranking cannot read must not stop the alarm intake:
        # rank by start until the next learning stores a good one.
        log.warning("root-cause model %s unreadable (%s): ranking by start", model.pk, error)
        return Learned()
    return Learned(history=history, weights=weights, model_id=model.pk)


_learned_memo: Memo[Learned] = Memo(_newest, depends_on=[RootCauseModel])


def learned_model() -> Learned:
    return _learned_memo.get()


def _ranked(group: list[GroupAlarm]) -> tuple[int | None, str]:
    """The likeliest root alarm of a group and the evidence in words."""
    if not group:
        return None, ""
    learned = learned_model()
    # The forest only for alarms on elements of the inventory.
    forest = topology() if any(isinstance(a.element, int) for a in group) else None
    ranking = rank(
        group,
        weights=learned.weights,
        history=learned.history,
        ancestors=(
            (lambda e: forest.ancestors(e) if isinstance(e, int) and e in forest else None)
            if forest is not None
            else None
        ),
    )
    return ranking.alarms[0].key, ranking.evidence


def incidents_root_cause_refresh(*, incidents: Sequence[NetworkIncident], now: datetime) -> None:
    """Rank each incident's alarms and store the likeliest root alarm with
    its evidence in words (`probable_root_alarm`, `root_cause_evidence`):
    one read of all their alarms, and one write of those that changed."""
    del now  # the ranking reads only the alarms' own times
    if not incidents:
        return
    groups: dict[int, list[GroupAlarm]] = {i.pk: [] for i in incidents}
    rows = (
        Alarm.objects.filter(incident_id__in=list(groups))
        .annotate(
            place=Window(
                RowNumber(), partition_by=[F("incident_id")], order_by=[F("first_seen"), F("id")]
            )
        )
        .filter(place__lte=RANKED_ALARMS)
        .order_by("incident_id", "first_seen", "id")
        .values_list(
            "incident_id", "id", "name", "element_id", "element__name", "element_ref", "first_seen"
        )
    )
    for incident_id, alarm_id, name, element_id, element_name, ref, first_seen in rows:
        groups[incident_id].append(
            GroupAlarm(
                key=alarm_id,
                kind=name,
                element=element_id if element_id is not None else (ref or None),
                start=first_seen.timestamp(),
                place=element_name or ref,
            )
        )
    changed = []
    for incident in incidents:
        top_id, evidence = _ranked(groups[incident.pk])
        if incident.probable_root_alarm_id == top_id and incident.root_cause_evidence == evidence:
            continue
        incident.probable_root_alarm_id = top_id
        incident.root_cause_evidence = evidence
        changed.append(incident)
    rows_update(NetworkIncident, changed, ["probable_root_alarm", "root_cause_evidence"])


def incident_root_cause_refresh(*, incident: NetworkIncident, now: datetime) -> None:
    """The same for one incident; saved only when either changed."""
    incidents_root_cause_refresh(incidents=[incident], now=now)


def root_cause_learn(*, since: datetime, until: datetime, now: datetime) -> RootCauseModel | None:
    """Learn type priors and precedence (window chosen from the data) from
    the alarms of incidents that started between `since` and `until`, and
    store them as the newest `RootCauseModel`. None, and nothing stored,
    when no incident of the period had two alarm types or more."""
    if until <= since:
        raise ValidationFailed(
            f"The learning period must end after it starts: until={until.isoformat()} "
            f"is not after since={since.isoformat()}.",
            field="until",
            value=until.isoformat(),
            accepted=f"a time after {since.isoformat()}",
        )
    rows = (
        Alarm.objects.filter(incident__isnull=False, first_seen__gte=since, first_seen__lt=until)
        .order_by("incident_id", "first_seen", "id")
        .values_list("incident_id", "name", "element_id", "element_ref", "first_seen")
    )
    groups: dict[int, list[GroupAlarm]] = {}
    for incident_id, name, element_id, ref, first_seen in rows.iterator(chunk_size=20_000):
        groups.setdefault(incident_id, []).append(
            GroupAlarm(
                key=None,
                kind=name,
                element=element_id if element_id is not None else (ref or None),
                start=first_seen.timestamp(),
            )
        )
    mixed = [g for g in groups.values() if len({a.kind for a in g}) > 1]
    if not mixed:
        return None
    history, choice = history_learn(list(groups.values()))
    weights = Weights()
    alarms = sum(len(g) for g in groups.values())
    figures = {
        "incidents": len(groups),
        "incidents_with_several_types": len(mixed),
        "alarm_types": len({a.kind for g in groups.values() for a in g}),
        "window_evidence": {f"{w:.0f}": round(v, 1) for w, v in choice.evidence.items()}
        if choice
        else {},
    }
    with transaction.atomic():
        model = RootCauseModel.objects.create(
            learned_at=now,
            learned_from=since,
            learned_until=until,
            alarms=alarms,
            window_seconds=round(history.window),
            parameters={"history": history.to_json(), "weights": weights.to_json()},
            figures=figures,
        )
        data_changed(RootCauseModel)
    return model

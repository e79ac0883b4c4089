"""The root-cause ranking and its learning on small hand-made groups (no
database): topology, type priors, precedence, the data-chosen window,
tie-breaks and the evidence in words."""

import json

import pytest

from netdesk.noc.rootcause.learning import (
    follows_by_window,
    follows_count,
    history_learn,
    order_evidence,
    priors_count,
    window_choose,
)
from netdesk.noc.rootcause.ranking import (
    PRECEDENCE,
    PRIOR,
    TIMING,
    TOPOLOGY,
    GroupAlarm,
    History,
    Weights,
    group_signals,
    rank,
)

# core → agg → {olt1, olt2}
PARENT = {"core": None, "agg": "core", "olt1": "agg", "olt2": "agg"}


def ancestors(element: object) -> list[object]:
    found: list[object] = []
    current = PARENT.get(str(element))
    while current is not None:
        found.append(current)
        current = PARENT.get(current)
    return found


def alarm(key: int, kind: str, element: str, start: float) -> GroupAlarm:
    return GroupAlarm(key=key, kind=kind, element=element, start=start)


def keys(alarms: tuple[GroupAlarm, ...]) -> list[int]:
    return [a.key for a in alarms]


def test_without_history_the_earliest_alarm_leads_and_ties_keep_the_given_order() -> None:
    group = [alarm(1, "b", "olt1", 20), alarm(2, "a", "olt2", 10), alarm(3, "c", "agg", 10)]
    ranking = rank(group)
    assert keys(ranking.alarms) == [2, 3, 1]
    assert ranking.top == group[1]
    assert ranking.evidence.startswith("a on olt2 came first (in the same second as others)")


def test_the_type_that_came_first_in_past_incidents_is_ranked_first() -> None:
    history = History(window=60, firsts={"LinkDown": 9.0}, seen={"LinkDown": 10, "LOS": 10})
    group = [alarm(1, "LOS", "olt1", 0), alarm(2, "LinkDown", "olt1", 30)]
    ranking = rank(group, history=history)
    assert keys(ranking.alarms) == [2, 1]
    # A type never seen sits at one half: below a usual leader, above a usual follower.
    assert history.prior("LinkDown") == pytest.approx(10 / 12)
    assert history.prior("LOS") == pytest.approx(1 / 12)
    assert history.prior("new") == 0.5


def test_equal_priors_fall_back_to_the_start_order() -> None:
    history = History(window=60, firsts={"a": 5.0, "b": 5.0}, seen={"a": 10, "b": 10})
    group = [alarm(1, "a", "olt1", 50), alarm(2, "b", "olt1", 40)]
    assert keys(rank(group, history=history).alarms) == [2, 1]


def test_topology_weight_puts_the_upstream_element_first() -> None:
    group = [alarm(1, "LOS", "olt1", 0), alarm(2, "LOS", "olt2", 5), alarm(3, "Down", "agg", 9)]
    signals = group_signals(group, ancestors=ancestors)
    assert [(s.below, s.elements) for s in signals] == [(0, 2), (0, 2), (2, 2)]
    ranking = rank(group, weights=Weights({TOPOLOGY: 1.0}), ancestors=ancestors)
    assert keys(ranking.alarms) == [3, 1, 2]
    # With the default weights and no history it is the earliest alarm.
    assert keys(rank(group, ancestors=ancestors).alarms) == [1, 2, 3]


def test_precedence_weight_orders_by_learned_precedence() -> None:
    history = History(window=60, follows={("power", "link"): 20, ("link", "power"): 1})
    assert history.precedence("power", "link") == pytest.approx(
        -history.precedence("link", "power")
    )
    group = [alarm(1, "link", "olt1", 0), alarm(2, "power", "olt1", 1)]
    assert keys(rank(group, weights=Weights({PRECEDENCE: 1.0}), history=history).alarms) == [2, 1]
    assert keys(rank(group, weights=Weights({TIMING: 1.0}), history=history).alarms) == [1, 2]


def test_evidence_names_the_alarm_its_lead_its_position_and_its_prior() -> None:
    history = History(window=60, firsts={"LinkDown": 16.0}, seen={"LinkDown": 23})
    group = [
        GroupAlarm(key=1, kind="LinkDown", element="agg", start=100, place="mw-12"),
        alarm(2, "LOS", "olt1", 112),
        alarm(3, "LOS", "olt2", 130),
    ]
    ranking = rank(group, history=history, ancestors=ancestors)
    assert ranking.evidence == (
        "LinkDown on mw-12 came first (12 s before the rest), is upstream of 2 of the "
        "2 other alarmed elements and this type came first in 70% of the 23 past incidents "
        "with other alarm types it was in."
    )


def test_evidence_of_a_top_alarm_that_did_not_come_first() -> None:
    history = History(window=60, firsts={"a": 9.0}, seen={"a": 10, "b": 10})
    group = [alarm(1, "b", "olt1", 0), alarm(2, "a", "olt1", 300)]
    evidence = rank(group, history=history).evidence
    assert evidence.startswith("a on olt1 started 5 min after the first alarm")
    assert "is upstream" not in evidence  # one element only
    assert rank([alarm(1, "a", "olt1", 0)]).evidence == "a on olt1 is the incident's only alarm."


def test_priors_count_the_first_type_and_share_a_same_second_tie() -> None:
    groups = [
        [alarm(1, "a", "x", 0), alarm(2, "b", "x", 5)],
        [alarm(3, "a", "x", 0), alarm(4, "b", "x", 0), alarm(5, "c", "x", 9)],
        [alarm(6, "c", "x", 0)],  # one type: says nothing about order
    ]
    firsts, seen = priors_count(groups)
    assert firsts == {"a": 1.5, "b": 0.5}
    assert seen == {"a": 2, "b": 2, "c": 1}


def test_follows_count_same_element_strictly_later_within_the_window() -> None:
    alarms = [
        alarm(1, "a", "x", 0),
        alarm(2, "b", "x", 0),  # same second: no order
        alarm(3, "b", "x", 30),
        alarm(4, "c", "x", 85),  # beyond 60 s of a, within of the later b
        alarm(5, "c", "y", 10),  # another element
    ]
    follows = follows_count(alarms, 60)
    assert follows == {("a", "b"): 1, ("b", "c"): 1}
    assert order_evidence(follows) == pytest.approx(2.0)
    # One pass for several windows gives what each window gives alone.
    together = follows_by_window(alarms, [10, 60, 100])
    assert together == {float(w): follows_count(alarms, w) for w in (10, 60, 100)}
    # Both alarms of b are followed by the c within 100 s.
    assert together[100.0] == {("a", "b"): 1, ("a", "c"): 1, ("b", "c"): 2}


def test_window_is_chosen_where_the_order_evidence_peaks() -> None:
    # "cause" is followed by "effect" 20 s later on each element, and the
    # next pair starts 5 min after: a window of 30 s sees the order; one of
    # 10 min sees each effect followed by the next cause just as often.
    alarms = []
    for n in range(40):
        element = f"e{n % 4}"
        alarms.append(alarm(2 * n, "cause", element, n * 1200))
        alarms.append(alarm(2 * n + 1, "effect", element, n * 1200 + 20))
    choice = window_choose(alarms, candidates=(10, 30, 600, 7200))
    assert choice.window == 30
    assert choice.evidence[10] == 0
    assert choice.evidence[30] > choice.evidence[7200]


def test_window_choice_needs_candidates() -> None:
    with pytest.raises(ValueError, match="candidates"):
        window_choose([], candidates=())


def test_history_learn_and_json_round_trip() -> None:
    groups = [[alarm(1, "a", "x", 0), alarm(2, "b", "x", 20)] for _ in range(3)]
    history, choice = history_learn(groups, candidates=(30, 60))
    assert choice is not None
    assert choice.window == 30
    assert history.firsts == {"a": 3.0}
    again = History.from_json(json.loads(json.dumps(history.to_json())))
    assert again == history
    fixed, none = history_learn(groups, window=900)
    assert none is None
    assert fixed.window == 900


def test_unreadable_history_and_weights_name_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="window"):
        History.from_json({"firsts": {}})
    with pytest.raises(ValueError, match=r"unknown signal.*colour.*accepted: timing"):
        Weights.from_json({"colour": 1.0})
    assert Weights.from_json({PRIOR: 2.0}).of(PRIOR) == 2.0


def test_elements_the_topology_does_not_place_say_nothing_of_position() -> None:
    def partial(element: object) -> list[object] | None:
        return ancestors(element) if element in PARENT else None

    group = [alarm(1, "Down", "agg", 0), alarm(2, "LOS", "olt1", 5), alarm(3, "LOS", "x9", 7)]
    signals = group_signals(group, ancestors=partial)
    assert [(s.below, s.elements) for s in signals] == [(1, 1), (0, 1), (0, 0)]
    assert (
        "is upstream of 1 of the 1 other alarmed elements"
        in rank(group, ancestors=partial).evidence
    )
    assert "upstream" not in rank(group).evidence  # no topology at all


def test_evidence_of_a_type_never_seen_with_others_says_so() -> None:
    history = History(window=60, firsts={"a": 1.0}, seen={"a": 1})
    evidence = rank(
        [alarm(1, "new", "olt1", 0), alarm(2, "a", "olt1", 5)], history=history
    ).evidence
    # "a" came first in its one past incident: it outranks the unknown type.
    assert evidence == (
        "a on olt1 started 5 s after the first alarm and this type came first in 100% of "
        "the 1 past incident with other alarm types it was in."
    )
    history = History(window=60)
    evidence = rank(
        [alarm(1, "new", "olt1", 0), alarm(2, "a", "olt1", 5)], history=history
    ).evidence
    assert evidence.endswith("this type has not been in a past incident with other alarm types.")

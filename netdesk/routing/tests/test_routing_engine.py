"""The routing engine on its own: requirements from rules, relaxation by the
share of the SLA used, eligibility, the three policies and escalation."""

from __future__ import annotations

from netdesk.routing.engine import (
    Agent,
    Policy,
    Requirement,
    Rule,
    TicketFacts,
    escalation_requirements,
    relax,
    relax_step,
    requirements_for,
    route,
)

DIAG, BILLING, KEY = 1, 2, 3


def agents(*levels: dict[int, int], load: int = 0) -> list[Agent]:
    return [Agent(n, lv, load) for n, lv in enumerate(levels, start=1)]


# ---- rules --------------------------------------------------------------------


def test_empty_conditions_match_any_ticket_and_each_condition_narrows():
    facts = TicketFacts(
        ticket_type="fault",
        categories=("No internet", "Connectivity"),
        channel="phone",
        language="de",
        access_technology="ftth",
        product="Fibre 500",
        segment="business",
        key_account=True,
        priority=2,
    )
    assert Rule("any", DIAG, 1).matches(facts)
    assert Rule("type", DIAG, 1, ticket_type="fault").matches(facts)
    assert not Rule("type", DIAG, 1, ticket_type="complaint").matches(facts)
    assert Rule("parent category", DIAG, 1, category="connectivity").matches(facts)
    assert not Rule("category", DIAG, 1, category="Slow speed").matches(facts)
    assert Rule("product prefix", DIAG, 1, product="fibre").matches(facts)
    assert not Rule("product", DIAG, 1, product="VDSL").matches(facts)
    assert Rule("language", DIAG, 1, language="DE").matches(facts)
    assert Rule("key", KEY, 2, key_account=True).matches(facts)
    assert not Rule("not key", KEY, 2, key_account=False).matches(facts)
    assert not Rule("P1", DIAG, 3, priority=1).matches(facts)
    assert Rule("all", DIAG, 1, ticket_type="fault", channel="phone", segment="business",
                access_technology="ftth", priority=2).matches(facts)  # fmt: skip


def test_rules_on_one_skill_merge_into_the_highest_level_with_the_hard_floor():
    facts = TicketFacts(ticket_type="fault", key_account=True)
    rules = [
        Rule("faults", DIAG, 2, hard=True, ticket_type="fault"),
        Rule("key faults", DIAG, 4, ticket_type="fault", key_account=True),
        Rule("billing", BILLING, 2, ticket_type="billing_inquiry"),
    ]
    [diag] = requirements_for(facts, rules)
    assert (diag.skill_id, diag.level, diag.floor) == (DIAG, 4, 2)
    assert not diag.hard
    assert diag.rules == ("faults", "key faults")


# ---- relaxation -----------------------------------------------------------------


def test_relaxation_steps_follow_the_share_of_the_sla_used():
    assert relax_step(None) == 0
    assert relax_step(0.0) == 0
    assert relax_step(0.49) == 0
    assert relax_step(0.5) == 1
    assert relax_step(0.8) == 2
    assert relax_step(0.95) == 3
    assert relax_step(3.0) == 3  # breached: every step passed, no more
    assert relax_step(0.3, thresholds=(25,)) == 1


def test_hard_requirements_never_relax_and_soft_ones_stop_at_the_floor():
    requirements = [
        Requirement(DIAG, 3, floor=3),  # hard
        Requirement(BILLING, 3, floor=0),  # soft
        Requirement(KEY, 4, floor=2),  # soft down to 2
    ]
    in_force, relaxed = relax(requirements, 3)
    assert [(r.skill_id, r.level) for r in in_force] == [(DIAG, 3), (KEY, 2)]
    assert [(r.skill_id, r.from_level, r.to_level, r.step) for r in relaxed] == [
        (BILLING, 3, 0, 3),
        (KEY, 4, 2, 3),
    ]


def test_soft_requirement_relaxes_with_sla_share_not_with_elapsed_time():
    # Given an agent one level short of a soft requirement
    pool = agents({DIAG: 2})
    soft = [Requirement(DIAG, 3)]
    # A long wait on a generous target (hours of an eight-hour SLA) relaxes
    # nothing; what counts is the share used.
    assert route(agents=pool, requirements=soft, sla_used=0.2).chosen is None
    decision = route(agents=pool, requirements=soft, sla_used=0.5)
    assert decision.chosen == 1
    assert decision.step == 1
    assert not decision.within_level
    # And a hard requirement waits however much is used.
    hard = [Requirement(DIAG, 3, floor=3)]
    assert route(agents=pool, requirements=hard, sla_used=5.0).chosen is None


# ---- eligibility ----------------------------------------------------------------


def test_away_and_capped_agents_are_not_eligible_and_say_why():
    pool = [
        Agent(1, {DIAG: 5}, load=0, available=False),
        Agent(2, {DIAG: 5}, load=8),
        Agent(3, {DIAG: 1}, load=0),
        Agent(4, {DIAG: 3}, load=7),
    ]
    decision = route(agents=pool, requirements=[Requirement(DIAG, 2)], workload_cap=8)
    assert decision.chosen == 4
    assert decision.eligible_count == 1
    by_id = {c.agent_id: c for c in decision.candidates}
    assert by_id[1].away
    assert not by_id[1].eligible
    assert by_id[2].at_cap
    assert by_id[3].short == ((DIAG, 1, 2),)
    assert [c.agent_id for c in decision.candidates] == [4, 1, 2, 3]


def test_nobody_eligible_gives_no_choice():
    decision = route(agents=agents({DIAG: 1}), requirements=[Requirement(DIAG, 2, floor=2)])
    assert decision.chosen is None
    assert decision.chosen_candidate is None


def test_excluded_agents_are_not_considered():
    decision = route(agents=agents({DIAG: 3}, {DIAG: 3}), requirements=[], exclude=[1])
    assert decision.chosen == 2
    assert [c.agent_id for c in decision.candidates] == [2]


# ---- policies -----------------------------------------------------------------


def test_least_sufficient_keeps_the_expert_free():
    pool = agents({DIAG: 5, BILLING: 5}, {DIAG: 2, BILLING: 5}, {DIAG: 3})
    decision = route(
        agents=pool, requirements=[Requirement(DIAG, 2)], policy=Policy.LEAST_SUFFICIENT
    )
    # Surplus counts only the required skills: agent 2 meets DIAG 2 exactly.
    assert decision.chosen == 2
    assert [c.score for c in decision.candidates] == [0, 1, 3]


def test_most_proficient_takes_the_highest_total_in_the_required_skills():
    pool = agents({DIAG: 3, BILLING: 2}, {DIAG: 5, BILLING: 1}, {DIAG: 2, BILLING: 2})
    decision = route(
        agents=pool,
        requirements=[Requirement(DIAG, 2), Requirement(BILLING, 1)],
        policy=Policy.MOST_PROFICIENT,
    )
    assert decision.chosen == 2
    assert decision.chosen_candidate is not None
    assert decision.chosen_candidate.score == 6


def test_round_robin_takes_the_next_eligible_after_the_cursor_and_wraps():
    pool = agents({DIAG: 3}, {DIAG: 1}, {DIAG: 3}, {DIAG: 3})
    needs = [Requirement(DIAG, 2)]
    assert route(agents=pool, requirements=needs, policy="round_robin").chosen == 1
    assert route(agents=pool, requirements=needs, policy="round_robin", cursor=1).chosen == 3
    assert route(agents=pool, requirements=needs, policy="round_robin", cursor=3).chosen == 4
    assert route(agents=pool, requirements=needs, policy="round_robin", cursor=4).chosen == 1


def test_ties_go_to_the_lower_load_then_the_lower_id_whatever_the_input_order():
    pool = [Agent(7, {DIAG: 3}, 2), Agent(5, {DIAG: 3}, 1), Agent(3, {DIAG: 3}, 1)]
    for policy in (Policy.LEAST_SUFFICIENT, Policy.MOST_PROFICIENT):
        for order in (pool, pool[::-1]):
            decision = route(agents=order, requirements=[Requirement(DIAG, 2)], policy=policy)
            assert decision.chosen == 3
            assert [c.agent_id for c in decision.candidates] == [3, 5, 7]


def test_no_requirements_routes_to_the_least_loaded():
    pool = [Agent(1, {}, 3), Agent(2, {}, 0), Agent(3, {}, 1)]
    assert route(agents=pool, requirements=[]).chosen == 2


# ---- escalation -----------------------------------------------------------------


def test_escalation_asks_for_the_same_skills_one_level_up_hard():
    requirements = [Requirement(DIAG, 2), Requirement(BILLING, 1)]
    raised = escalation_requirements(requirements, handler_levels={DIAG: 3}, scale_max={BILLING: 3})
    assert [(r.skill_id, r.level, r.hard) for r in raised] == [(DIAG, 4, True), (BILLING, 2, True)]
    # Never above the top of the scale.
    top = escalation_requirements([Requirement(DIAG, 5)], scale_max={DIAG: 5})
    assert top[0].level == 5
    # And it never relaxes: an escalation must reach someone who knows more.
    decision = route(agents=agents({DIAG: 3, BILLING: 5}), requirements=raised, sla_used=2.0)
    assert decision.chosen is None

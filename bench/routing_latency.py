"""How long a skills-based routing decision takes with 500 agents and 50
skills: the pure engine per decision (rules matched, requirements relaxed,
every agent checked, the policy's choice), then the whole `ticket_route`
service per ticket on a fresh SQLite database (facts, rules, the group's
members with their levels, loads and availability, the SLA share used: the
decision), and with the decision recorded and the ticket assigned through
the ticket services (timeline events, service levels recomputed). Prints
JSON.

    python bench/routing_latency.py --agents 500 --skills 50 --rules 20 --tickets 200
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TYPES = ["fault", "complaint", "billing_inquiry", "service_request", "information_request"]
CHANNELS = ["phone", "email", "chat", "web"]
SEGMENTS = ["residential", "business", "key_account"]
TECHNOLOGIES = ["ftth", "vdsl", "cable"]


def figures(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(p99 * 1000, 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
        "count": len(ordered),
    }


def random_rules(rng: random.Random, count: int, skills: int) -> list[dict[str, Any]]:
    """Rules on type, channel, segment, key account, priority and access
    technology, about half of them narrowed by one or two conditions."""
    rules = []
    for n in range(count):
        rule: dict[str, Any] = {
            "name": f"Rule {n + 1}",
            "skill": rng.randrange(skills),
            "min_level": rng.randint(1, 3),
            "hard": rng.random() < 0.3,
            "match_ticket_type": rng.choice(TYPES),
        }
        extra = rng.choice(["", "", "channel", "segment", "key", "priority", "technology"])
        if extra == "channel":
            rule["match_channel"] = rng.choice(CHANNELS)
        elif extra == "segment":
            rule["match_segment"] = rng.choice(SEGMENTS)
        elif extra == "key":
            rule["match_key_account"] = True
        elif extra == "priority":
            rule["match_priority"] = rng.randint(1, 3)
        elif extra == "technology":
            rule["match_access_technology"] = rng.choice(TECHNOLOGIES)
        rules.append(rule)
    return rules


def random_levels(rng: random.Random, skills: int) -> dict[int, int]:
    """Most agents hold a level in a third of the skills, 1 to 5."""
    return {s: rng.randint(1, 5) for s in range(skills) if rng.random() < 0.35}


def bench_engine(args: argparse.Namespace) -> dict[str, Any]:
    from netdesk.routing import engine

    rng = random.Random(args.seed)
    rules = [
        engine.Rule(
            name=r["name"],
            skill_id=r["skill"],
            min_level=r["min_level"],
            hard=r["hard"],
            ticket_type=r["match_ticket_type"],
            channel=r.get("match_channel", ""),
            segment=r.get("match_segment", ""),
            key_account=r.get("match_key_account"),
            priority=r.get("match_priority"),
            access_technology=r.get("match_access_technology", ""),
        )
        for r in random_rules(rng, args.rules, args.skills)
    ]
    agents = [
        engine.Agent(n, random_levels(rng, args.skills), rng.randint(0, 10), rng.random() > 0.1)
        for n in range(1, args.agents + 1)
    ]
    result: dict[str, Any] = {}
    for policy in engine.Policy:
        seconds: list[float] = []
        eligible: list[int] = []
        requirements: list[int] = []
        gc.collect()
        for _ in range(args.decisions):
            segment = rng.choice(SEGMENTS)
            facts = engine.TicketFacts(
                ticket_type=rng.choice(TYPES),
                channel=rng.choice(CHANNELS),
                segment=segment,
                key_account=segment == "key_account",
                priority=rng.randint(1, 5),
                access_technology=rng.choice(TECHNOLOGIES),
            )
            sla_used = rng.random()
            started = time.perf_counter()
            needs = engine.requirements_for(facts, rules)
            decision = engine.route(
                agents=agents,
                requirements=needs,
                policy=policy,
                workload_cap=8,
                sla_used=sla_used,
                cursor=rng.randint(1, args.agents),
            )
            seconds.append(time.perf_counter() - started)
            eligible.append(decision.eligible_count)
            requirements.append(len(needs))
        result[policy.value] = figures(seconds) | {
            "mean_requirements": round(statistics.fmean(requirements), 2),
            "mean_eligible": round(statistics.fmean(eligible), 1),
        }
    return result


def bench_service(args: argparse.Namespace) -> dict[str, Any]:
    os.environ["NETDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="netdesk-routing-bench-")
    os.environ["NETDESK_DATABASE_URL"] = ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from netdesk.accounts.models import Role, SupportGroup, TierKind, User
    from netdesk.competency.models import AgentSkill, Framework, LevelSource, Skill
    from netdesk.customers.models import Customer, Service
    from netdesk.routing.models import GroupRouting, RoutingRule
    from netdesk.routing.services.tickets import routing_preview, ticket_route
    from netdesk.tickets.services import ticket_create

    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    now = timezone.now()
    group = SupportGroup.objects.get(tier__kind=TierKind.FIRST_LINE)
    framework = Framework.objects.create(name="Routing bench", state="published")
    skills = Skill.objects.bulk_create(
        Skill(framework=framework, code=f"SK-{n:02d}", name=f"Skill {n}", category="technical")
        for n in range(args.skills)
    )
    unusable = make_password(None)
    agents = User.objects.bulk_create(
        User(username=f"agent{n:04d}", role=Role.HOTLINE_OPERATOR, password=unusable)
        for n in range(args.agents)
    )
    group.members.add(*agents)
    AgentSkill.objects.bulk_create(
        AgentSkill(
            agent=agent,
            skill=skills[skill],
            level=level,
            source=LevelSource.ASSESSMENT,
            valid_from=now - timedelta(days=30),
            recorded_at=now,
        )
        for agent in agents
        for skill, level in random_levels(rng, args.skills).items()
    )
    for rule in random_rules(rng, args.rules, args.skills):
        rule["skill"] = skills[rule["skill"]]
        RoutingRule.objects.create(**rule)
    creator = User.objects.create(username="bench-operator", role=Role.HOTLINE_OPERATOR)
    customers = []
    for n in range(50):
        segment = SEGMENTS[n % 3]
        customer = Customer.objects.create(
            account_number=f"RB{n:05d}", name=f"Customer {n}", segment=segment
        )
        Service.objects.create(
            service_id=f"RBS{n:05d}",
            customer=customer,
            product="Fibre 500",
            access_technology=TECHNOLOGIES[n % 3],
        )
        customers.append(customer)
    # Tickets are opened while the group does not route, then routed one by one.
    tickets = []
    for _ in range(args.tickets):
        customer = rng.choice(customers)
        tickets.append(
            ticket_create(
                actor=creator,
                customer=customer,
                service=customer.services.first(),
                ticket_type=rng.choice(TYPES),
                channel=rng.choice(CHANNELS),
                title="Routing bench",
                impact=rng.randint(1, 3),
                urgency=rng.randint(1, 3),
                group=group,
            )
        )
    GroupRouting.objects.create(group=group, policy=args.policy, workload_cap=1000)
    # The decision alone: every read routing makes and the engine, nothing written.
    previews: list[float] = []
    gc.collect()
    for ticket in tickets:
        started = time.perf_counter()
        routing_preview(ticket=ticket)
        previews.append(time.perf_counter() - started)
    seconds: list[float] = []
    queries: list[int] = []
    chosen = 0
    gc.collect()
    for ticket in tickets:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            with transaction.atomic():
                decision = ticket_route(ticket=ticket)
            seconds.append(time.perf_counter() - started)
        queries.append(len(captured.captured_queries))
        chosen += decision.chosen_id is not None
    return {
        "decision": figures(previews),
        "route_and_assign": figures(seconds),
        "policy": args.policy,
        "assigned": chosen,
        "median_queries": statistics.median(queries),
        "agent_skill_rows": AgentSkill.objects.count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--skills", type=int, default=50)
    parser.add_argument("--rules", type=int, default=20)
    parser.add_argument("--decisions", type=int, default=2000, help="engine decisions per policy")
    parser.add_argument("--tickets", type=int, default=200, help="tickets routed by the service")
    parser.add_argument("--policy", default="least_sufficient")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine-only", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {
        "agents": args.agents,
        "skills": args.skills,
        "rules": args.rules,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "engine": bench_engine(args),
    }
    if not args.engine_only:
        report["service_sqlite"] = bench_service(args)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

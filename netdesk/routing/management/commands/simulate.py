"""`netdesk simulate routing`: a working day at the desk, simulated event by
event, under each routing policy (least-sufficient, most-proficient,
round-robin), on several seeds; prints a Markdown table (or JSON) of
first-contact resolution, SLA compliance and waiting times.

Arrivals follow the desk's own ticket history (hour of day, types,
categories, priorities, channels, segments) when it has one, else a
built-in profile. The rules are the desk's active routing rules, else
built-in rules on the built-in framework's skills; agents' levels are those
recorded for the first-line agents in those skills, else generated. See
netdesk/routing/simulation/ for the model and docs/routing-simulation.md
for results."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from netdesk.competency import builtin
from netdesk.competency.models import Skill
from netdesk.routing import selectors as read
from netdesk.routing.engine import Rule
from netdesk.routing.simulation.model import (
    BUILTIN_SKILLS,
    Settings,
    World,
    builtin_world,
    profile_from_history,
)
from netdesk.routing.simulation.report import markdown
from netdesk.routing.simulation.run import compare


def _numbers(text: str, kind: type[int] | type[float]) -> list[Any]:
    try:
        return [kind(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError(f"{text!r}: expected numbers separated by commas") from exc


def _builtin_skills(world: World) -> World:
    """The built-in rules name the built-in framework's skills by code:
    where the desk has that framework, its agents' levels count."""
    found = dict(
        Skill.objects.filter(
            framework__name=builtin.FRAMEWORK_NAME, code__in=BUILTIN_SKILLS.values()
        )
        .order_by("framework__version")
        .values_list("code", "pk")
    )
    if len(found) != len(BUILTIN_SKILLS):
        return world
    by_old = {old: found[code] for old, code in BUILTIN_SKILLS.items()}
    return replace(
        world,
        rules=tuple(replace(rule, skill_id=by_old[rule.skill_id]) for rule in world.rules),
        skill_codes={by_old[old]: code for old, code in BUILTIN_SKILLS.items()},
    )


def _desk_agents(world: World, *, generated: bool) -> World:
    shift, pool = read.first_line_agents(sorted(world.skill_codes))
    if shift >= 2:
        world = replace(
            world,
            shift=shift,
            agents_source=f"generated for the desk's {shift} first-line agents"
            + ("" if pool else " (no levels recorded in the rules' skills)"),
        )
    if pool and not generated:
        world = replace(
            world,
            agent_pool=tuple(pool),
            agents_source=f"drawn from the levels of the desk's {len(pool)} first-line agents",
        )
    return world


def desk_world(
    *, source: str, time_zone: str, start_hour: int, end_hour: int, generated: bool = False
) -> World:
    """The simulated desk from the database where it has the data, from the
    built-in profile, rules and generated agents where it has not."""
    world = builtin_world()
    if source == "builtin":
        return world
    profile = profile_from_history(
        read.arrival_history(), time_zone=time_zone, start_hour=start_hour, end_hour=end_hour
    )
    if profile is not None:
        world = replace(world, profile=profile)
    elif source == "desk":
        raise CommandError("The desk has fewer than 100 tickets to replay; try --source builtin.")
    rules = read.active_rules()
    if rules:
        skills = read.skills_by_id({rule.skill_id for rule in rules})
        world = replace(
            world,
            rules=tuple(rules),
            skill_codes={pk: info.code for pk, info in skills.items()},
            rules_source=f"the desk's {len(rules)} active routing rules",
        )
    else:
        world = _builtin_skills(world)
    return _desk_agents(world, generated=generated)


def _rules_text(rules: tuple[Rule, ...], codes: dict[int, str]) -> str:
    return "; ".join(
        f"{rule.name}: {codes.get(rule.skill_id, rule.skill_id)} ≥ {rule.min_level}"
        f"{' (hard)' if rule.hard else ''}"
        for rule in rules
    )


class Command(BaseCommand):
    help = "Simulate a working day under each routing policy and compare them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["routing"], help="what to simulate")
        parser.add_argument("--seeds", type=int, default=10, help="how many seeds (default 10)")
        parser.add_argument("--first-seed", type=int, default=1)
        parser.add_argument(
            "--utilisation",
            default="0.85",
            help="offered work over the agents' time; several give a table each (e.g. 0.85,1.0)",
        )
        parser.add_argument(
            "--tickets",
            type=int,
            help="tickets in the day (default: what keeps the shift at --utilisation)",
        )
        parser.add_argument(
            "--agents",
            type=int,
            help="agents on shift (default: the desk's first-line agents, else 20)",
        )
        parser.add_argument(
            "--source",
            choices=["auto", "desk", "builtin"],
            default="auto",
            help="arrivals, rules and agents from the database where it has them (auto), "
            "from the database only (desk) or built in",
        )
        parser.add_argument(
            "--time-zone", default=settings.TIME_ZONE, help="local time of the history's hours"
        )
        parser.add_argument("--start-hour", type=int, default=8)
        parser.add_argument("--end-hour", type=int, default=18)
        parser.add_argument(
            "--thresholds", default="50,75,90", help="relaxation thresholds, percent of the SLA"
        )
        parser.add_argument(
            "--generated-agents",
            action="store_true",
            help="generate the agents' levels even where the desk has them recorded",
        )
        parser.add_argument("--json", action="store_true", help="print every run as JSON")
        parser.add_argument("--output", type=Path, help="write the report to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            ZoneInfo(options["time_zone"])
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CommandError(f"Unknown time zone {options['time_zone']!r}.") from exc
        start, end = options["start_hour"], options["end_hour"]
        if not 0 <= start < end <= 24:
            raise CommandError("Working hours need 0 <= --start-hour < --end-hour <= 24.")
        if options["seeds"] < 1:
            raise CommandError("--seeds must be at least 1.")
        loads = _numbers(options["utilisation"], float)
        if not loads or any(not 0.1 <= load <= 2.0 for load in loads):
            raise CommandError("--utilisation takes values from 0.1 to 2.0.")
        thresholds = tuple(_numbers(options["thresholds"], int))
        if list(thresholds) != sorted(set(thresholds)) or any(
            not 1 <= t <= 100 for t in thresholds
        ):
            raise CommandError("--thresholds must rise, each from 1 to 100.")
        for name in ("tickets", "agents"):
            if options[name] is not None and options[name] < 1:
                raise CommandError(f"--{name} must be at least 1.")
        world = desk_world(
            source=options["source"],
            time_zone=options["time_zone"],
            start_hour=start,
            end_hour=end,
            generated=options["generated_agents"],
        )
        seeds = range(options["first_seed"], options["first_seed"] + options["seeds"])
        reports: list[str] = []
        runs: list[dict[str, Any]] = []
        for load in loads:
            settings_ = Settings(
                start_hour=start,
                end_hour=end,
                utilisation=load,
                volume=options["tickets"],
                agents=options["agents"],
                thresholds=thresholds,
            )
            results = compare(world, settings_, list(seeds))
            runs += [asdict(r) | {"utilisation": load} for r in results]
            reports.append(f"### Utilisation {load:.0%}\n\n{markdown(results, world, settings_)}")
        if options["json"]:
            text = json.dumps(runs, indent=1)
        else:
            text = f"Rules: {_rules_text(world.rules, world.skill_codes)}.\n\n" + "\n".join(reports)
        if options["output"]:
            options["output"].write_text(text + "\n", encoding="utf-8")
        self.stdout.write(text)

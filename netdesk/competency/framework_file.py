"""What a framework file says, row by row: the skills with their levels and
indicators, and the role profiles, read from the rows of a CSV or XLSX file
(see docs/competency.md for the columns). Nothing here writes: the importer
writes what this reads through the framework services, and migration 0002
writes the built-in framework's file with the models of its time.

A row that cannot be used is handed to `skip` with its row number and the
reason, and the rest is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netdesk.competency.models import EvidenceKind, SkillCategory
from netdesk.competency.services.framework import CODE, SCALE_LIMIT
from netdesk.competency.services.skills import EVIDENCE_KINDS
from netdesk.core.text import unstorable_in_row

REQUIRED = ("skill_code", "skill_name")
OPTIONAL = (
    "category",
    "parent_code",
    "skill_description",
    "scale_min",
    "scale_max",
    "level",
    "level_title",
    "level_description",
    "indicator",
    "evidence",
    "kpi",
    "kpi_at_least",
    "kpi_at_most",
    "external_scheme",
    "external_code",
    "netdesk_skill",
)
COLUMNS = REQUIRED + OPTIONAL
ALIASES = {"description": "skill_description", "name": "skill_name", "code": "skill_code"}
PROFILE_REQUIRED = ("profile", "skill_code", "min_level")
PROFILE_COLUMNS = (*PROFILE_REQUIRED, "profile_description", "requirement")
REQUIREMENT_KINDS = {"required": True, "preferred": False}
SCHEMES = {
    # An SFIA skill code: four letters (e.g. CSMG, ITOP, USUP).
    "sfia": re.compile(r"^[A-Z]{4}$"),
    # An e-CF competence: area A to E, a dot and a number (e.g. C.1, E.10).
    "ecf": re.compile(r"^[A-E]\.[0-9]{1,2}$"),
}
# Any other scheme an external code may name (e.g. iso639 for a language).
SCHEME_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,19}$")
DEFAULT_CATEGORY = SkillCategory.TECHNICAL
# The longest texts kept; a longer one skips its row rather than being cut.
MAX_TEXT = 5000
MAX_INDICATOR = 2000
MAX_LEVEL_TITLE = 120
MAX_NAME = 200
MAX_PROFILE_NAME = 120
TEXT_LIMITS = {
    "level_title": MAX_LEVEL_TITLE,
    "level_description": MAX_TEXT,
    "indicator": MAX_INDICATOR,
}

# skip(row number, reason, the value at fault)
SkipRow = Callable[[int, str, Any], None]


@dataclass
class SkillRow:
    """A skill as the file gives it, with its levels and indicators."""

    row: int
    code: str
    name: str
    category: str
    parent_code: str
    description: str
    scale_min: int | None
    scale_max: int | None
    scheme: str
    external: str
    netdesk: str
    # level → (title, description)
    levels: dict[int, tuple[str, str]] = field(default_factory=dict)
    # (level, text, evidence kinds, KPI rule)
    indicators: list[tuple[int, str, list[str], dict[str, Any]]] = field(default_factory=list)

    def scale(self) -> tuple[int, int]:
        """The scale the file gives, or 1 to the larger of 5 and the highest
        level the file uses (SFIA's 7 widens it)."""
        used = list(self.levels) + [i[0] for i in self.indicators]
        low = self.scale_min if self.scale_min is not None else min([1, *used])
        high = self.scale_max if self.scale_max is not None else max([5, *used])
        return low, high

    def external_codes(self, matches: dict[str, str]) -> dict[str, str]:
        """The skill's codes in other frameworks; `matches` maps an external
        code to the NetDesk skill that carries it."""
        codes: dict[str, str] = {}
        if self.external:
            codes[self.scheme] = self.external
        netdesk = self.netdesk or matches.get(self.external, "")
        if netdesk:
            codes["netdesk"] = netdesk
        return codes


@dataclass
class ProfileRow:
    """A role profile and the skills it needs: (code, minimum level, hard, row)."""

    row: int
    name: str
    description: str
    needs: list[tuple[str, int, bool, int]] = field(default_factory=list)


def _whole(text: str) -> int | None:
    text = text.strip()
    if re.fullmatch(r"[0-9]{1,2}", text):
        return int(text)
    return None


def _number(text: str) -> int | float | None:
    """A bound as written: a whole number stays whole (20, not 20.0)."""
    text = text.strip().replace(",", ".")
    if re.fullmatch(r"-?[0-9]{1,15}", text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return None


def _evidence(text: str) -> list[str] | None:
    kinds = [k.strip().lower() for k in re.split(r"[;|,/]", text) if k.strip()]
    if not kinds or any(k not in EVIDENCE_KINDS for k in kinds):
        return None
    return list(dict.fromkeys(kinds))


def _skill(number: int, row: dict[str, str], scheme: str | None, skip: SkipRow) -> SkillRow | None:
    """The skill a skill's first row describes, or None (skipped)."""
    code = row["skill_code"]
    name = row["skill_name"]
    if not name or len(name) > MAX_NAME:
        skip(number, f"skill_name missing or over {MAX_NAME} characters", name)
        return None
    category = (row.get("category") or DEFAULT_CATEGORY).lower()
    if category not in SkillCategory.values:
        skip(number, f"category not one of {', '.join(SkillCategory.values)}", category)
        return None
    scale = [row.get("scale_min", ""), row.get("scale_max", "")]
    bounds = [_whole(s) if s else None for s in scale]
    if any(s and (b is None or b > SCALE_LIMIT) for s, b in zip(scale, bounds, strict=True)):
        skip(
            number,
            f"scale_min/scale_max not whole numbers from 0 to {SCALE_LIMIT}",
            "/".join(scale),
        )
        return None
    if len(row.get("skill_description", "")) > MAX_TEXT:
        skip(number, f"skill_description over {MAX_TEXT} characters", code)
        return None
    external = row.get("external_code", "")
    own = row.get("external_scheme", "").lower()
    if own and (not SCHEME_NAME.match(own) or own == "netdesk"):
        skip(number, "external_scheme is not a scheme name (a-z, 0-9, _ -, not netdesk)", own)
        return None
    row_scheme = own or scheme or "external"
    if external and row_scheme in SCHEMES and not SCHEMES[row_scheme].match(external):
        skip(number, f"external_code is not a {row_scheme} code", external)
        return None
    return SkillRow(
        row=number,
        code=code,
        name=name,
        category=category,
        parent_code=row.get("parent_code", ""),
        description=row.get("skill_description", ""),
        scale_min=bounds[0],
        scale_max=bounds[1],
        scheme=row_scheme,
        external=external,
        netdesk=row.get("netdesk_skill", ""),
    )


def _kpi_rule(row: dict[str, str]) -> dict[str, Any] | None:
    """The row's KPI rule ({} without one), or None when its bounds are unusable."""
    if not row.get("kpi"):
        return {}
    rule: dict[str, Any] = {"kpi": row["kpi"]}
    for bound in ("at_least", "at_most"):
        value = row.get(f"kpi_{bound}", "")
        if value:
            parsed = _number(value)
            if parsed is None:
                return None
            rule[bound] = parsed
    return rule if len(rule) > 1 else None


def _level_row(number: int, row: dict[str, str], skill: SkillRow, skip: SkipRow) -> None:
    """Add the level descriptor and indicator a row holds to its skill."""
    code = skill.code
    level_text = row.get("level", "")
    if not level_text:
        if row.get("level_description") or row.get("indicator"):
            skip(number, "level_description or indicator without a level", code)
        return
    level = _whole(level_text)
    if level is None:
        skip(number, "level is not a whole number from 0 to 99", level_text)
        return
    over = next((c for c, most in TEXT_LIMITS.items() if len(row.get(c, "")) > most), None)
    if over is not None:
        skip(number, f"{over} over {TEXT_LIMITS[over]} characters", code)
        return
    description = row.get("level_description", "")
    if description:
        known = skill.levels.get(level)
        if known is not None and known[1] != description:
            skip(number, f"level {level} of {code} is described twice", code)
            return
        skill.levels[level] = (row.get("level_title", ""), description)
    indicator = row.get("indicator", "")
    if not indicator:
        return
    kinds = _evidence(row.get("evidence", "") or "observation")
    if kinds is None:
        accepted = ", ".join(EvidenceKind.values)
        skip(number, f"evidence not among {accepted}", row.get("evidence", ""))
        return
    rule = _kpi_rule(row)
    if rule is None:
        skip(number, "kpi needs a numeric kpi_at_least or kpi_at_most", code)
        return
    if rule and EvidenceKind.KPI not in kinds:
        kinds.append(EvidenceKind.KPI)
    skill.indicators.append((level, indicator, kinds, rule))


def _named(names: list[str], raw: list[str]) -> dict[str, str]:
    return {name: (raw[i] if i < len(raw) else "") for i, name in enumerate(names)}


def parse_skills(
    names: list[str], rows: list[list[str]], scheme: str | None, skip: SkipRow
) -> dict[str, SkillRow]:
    """The skills of a framework file by code, in the order of their first
    row; `names` are the checked column names, `scheme` the one the
    external codes belong to unless a row names its own."""
    skills: dict[str, SkillRow] = {}
    for number, raw in enumerate(rows, start=2):
        if not any(raw):
            continue
        row = _named(names, raw)
        problem = unstorable_in_row(row)
        if problem is not None:
            skip(number, problem, "")
            continue
        code = row["skill_code"]
        if not CODE.match(code):
            skip(number, "skill_code missing or not a code (letters, digits, . _ -)", code)
            continue
        skill = skills.get(code)
        if skill is None:
            skill = _skill(number, row, scheme, skip)
            if skill is None:
                continue
            skills[code] = skill
        _level_row(number, row, skill, skip)
    return skills


def order_skills(skills: dict[str, SkillRow], skip: SkipRow) -> list[SkillRow]:
    """Parents before children; a parent not in the file, or a loop, is
    reported and the skill is kept at the top."""
    for skill in skills.values():
        if skill.parent_code and skill.parent_code not in skills:
            skip(skill.row, "parent_code not in the file; kept at the top", skill.parent_code)
            skill.parent_code = ""
    for skill in skills.values():
        seen: set[str] = set()
        current = skill
        while current.parent_code:
            if current.parent_code == skill.code:
                skip(skill.row, "parent_code makes a loop; kept at the top", skill.parent_code)
                skill.parent_code = ""
                break
            if current.parent_code in seen:
                break  # a loop further up: cut when its own skill comes round
            seen.add(current.parent_code)
            current = skills[current.parent_code]
    ordered: list[SkillRow] = []
    placed: set[str] = set()
    for skill in skills.values():
        chain = []
        current = skill
        while current.code not in placed:
            chain.append(current)
            placed.add(current.code)
            if not current.parent_code:
                break
            current = skills[current.parent_code]
        ordered.extend(reversed(chain))
    return ordered


def parse_profiles(
    names: list[str], rows: list[list[str]], skills: dict[str, SkillRow], skip: SkipRow
) -> list[ProfileRow]:
    """The role profiles of a profiles file, in the order of their first
    row; a requirement is checked against the skills of the framework file."""
    profiles: dict[str, ProfileRow] = {}
    for number, raw in enumerate(rows, start=2):
        if not any(raw):
            continue
        row = _named(names, raw)
        problem = unstorable_in_row(row)
        if problem is not None:
            skip(number, problem, "")
            continue
        name = row["profile"]
        if not name or len(name) > MAX_PROFILE_NAME:
            skip(number, f"profile missing or over {MAX_PROFILE_NAME} characters", name)
            continue
        profile = profiles.get(name)
        if profile is None:
            description = row.get("profile_description", "")
            if len(description) > MAX_TEXT:
                skip(number, f"profile_description over {MAX_TEXT} characters", name)
                continue
            profile = profiles[name] = ProfileRow(row=number, name=name, description=description)
        code = row["skill_code"]
        skill = skills.get(code)
        level = _whole(row["min_level"])
        kind = (row.get("requirement") or "required").lower()
        if skill is None:
            skip(number, "skill_code is not a skill of the framework file", code)
        elif level is None or not skill.scale()[0] <= level <= skill.scale()[1]:
            skip(number, f"min_level is not a level of {code}'s scale", row["min_level"])
        elif kind not in REQUIREMENT_KINDS:
            skip(number, f"requirement not one of {', '.join(REQUIREMENT_KINDS)}", kind)
        elif any(need[0] == code for need in profile.needs):
            skip(number, f"{name} names {code} twice", code)
        else:
            profile.needs.append((code, level, REQUIREMENT_KINDS[kind], number))
    return list(profiles.values())

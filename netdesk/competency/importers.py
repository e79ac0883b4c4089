"""Import a competency framework from a CSV or XLSX file the organisation
holds (e.g. its licensed copy of SFIA or the e-CF): one row per skill, per
level descriptor or per indicator; see docs/competency.md for the columns.

The header is checked before anything is written; rows that cannot be used
are skipped, each with its row number and reason, and the rest is imported
into a new draft version (published at once with `publish=True`). External
codes (`--map-external sfia|ecf`) are kept on the skills and matched to the
NetDesk skills that carry the same code.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from netdesk.competency.models import (
    EvidenceKind,
    Framework,
    FrameworkState,
    Indicator,
    LevelDescriptor,
    Skill,
    SkillCategory,
)
from netdesk.competency.services.framework import CODE, framework_create, framework_publish
from netdesk.core.csvrows import MAX_ROW_CHARACTERS, CsvUnreadable, csv_rows
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
    "external_code",
    "netdesk_skill",
)
COLUMNS = REQUIRED + OPTIONAL
ALIASES = {"description": "skill_description", "name": "skill_name", "code": "skill_code"}
SCHEMES = {
    # An SFIA skill code: four letters (e.g. CSMG, ITOP, USUP).
    "sfia": re.compile(r"^[A-Z]{4}$"),
    # An e-CF competence: area A to E, a dot and a number (e.g. C.1, E.10).
    "ecf": re.compile(r"^[A-E]\.[0-9]{1,2}$"),
}
DEFAULT_CATEGORY = SkillCategory.TECHNICAL
MAX_ROWS = 100_000
# The longest texts kept; a longer one skips its row rather than being cut.
MAX_TEXT = 5000
MAX_INDICATOR = 2000
MAX_LEVEL_TITLE = 120
TEXT_LIMITS = {
    "level_title": MAX_LEVEL_TITLE,
    "level_description": MAX_TEXT,
    "indicator": MAX_INDICATOR,
}


class ImportFailed(Exception):
    """The file cannot be imported at all; nothing was written."""


@dataclass
class Skipped:
    row: int
    reason: str
    value: str = ""


@dataclass
class ImportResult:
    framework: Framework | None = None
    skills: int = 0
    levels: int = 0
    indicators: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    # (imported skill code, external code, matching NetDesk skill code or "")
    mapped: list[tuple[str, str, str]] = field(default_factory=list)

    def skip(self, row: int, reason: str, value: Any = "") -> None:
        self.skipped.append(Skipped(row=row, reason=reason, value=str(value)[:80]))


# ---- reading --------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(path: Path, *, sheet: str | None = None) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of a .csv or .xlsx file, as text."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file.")
    if suffix == ".xlsx":
        return _read_xlsx(path, sheet)
    if suffix in (".csv", ".txt"):
        if sheet:
            raise ImportFailed("--sheet is for .xlsx files only.")
        return _read_csv(path)
    raise ImportFailed(f"{path}: give a .csv or .xlsx file (not {suffix or 'no extension'}).")


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from exc
    first = text.split("\n", 1)[0][:MAX_ROW_CHARACTERS]
    try:
        dialect: Any = csv.Sniffer().sniff(first, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[str]] = []
    try:
        for _, values in csv_rows(io.StringIO(text), dialect=dialect):
            rows.append([_cell(v) for v in values])
    except CsvUnreadable as exc:
        raise ImportFailed(
            f"{path}: {exc.where(rows[0] if rows else [])}: {exc}; a row holds at most "
            f"{MAX_ROW_CHARACTERS:,} characters, a description at most {MAX_TEXT:,}. "
            "Nothing was written."
        ) from exc
    if not rows:
        raise ImportFailed(f"{path}: the file is empty.")
    return rows[0], rows[1:]


def _read_xlsx(path: Path, sheet: str | None) -> tuple[list[str], list[list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a bad file
        raise ImportFailed(f"{path}: not a readable .xlsx workbook ({exc}).") from exc
    try:
        if sheet is not None:
            if sheet not in book.sheetnames:
                raise ImportFailed(
                    f"{path}: no sheet {sheet!r}; the sheets are {', '.join(book.sheetnames)}."
                )
            worksheet = book[sheet]
        else:
            worksheet = book.worksheets[0]
        rows = [[_cell(v) for v in row] for row in worksheet.iter_rows(values_only=True)]
    finally:
        book.close()
    if not rows:
        raise ImportFailed(f"{path}: the sheet is empty.")
    return rows[0], rows[1:]


def check_header(
    header: list[str],
    *,
    required: tuple[str, ...] = REQUIRED,
    columns: tuple[str, ...] = COLUMNS,
    aliases: Mapping[str, str] = ALIASES,
) -> list[str]:
    """Column names, normalised; refuses a header that lacks a required column
    or names one that is not known (most likely a typo). The columns default
    to a framework file's; other importers pass their own."""
    names = [aliases.get(h.strip().lower(), h.strip().lower()) for h in header]
    while names and not names[-1]:
        names.pop()
    unknown = [h for h in names if h not in columns]
    missing = [c for c in required if c not in names]
    doubled = sorted({h for h in names if names.count(h) > 1})
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s) {', '.join(repr(u) for u in unknown)}")
    if doubled:
        problems.append(f"column(s) given twice: {', '.join(doubled)}")
    if problems:
        raise ImportFailed(
            "Bad header: " + "; ".join(problems) + ". Accepted columns: " + ", ".join(columns) + "."
        )
    return names


# ---- building ---------------------------------------------------------------------


@dataclass
class _Skill:
    row: int
    code: str
    name: str
    category: str
    parent_code: str
    description: str
    scale_min: int | None
    scale_max: int | None
    external: str
    netdesk: str
    levels: dict[int, tuple[str, str]] = field(default_factory=dict)
    indicators: list[tuple[int, str, list[str], dict[str, Any]]] = field(default_factory=list)


def _whole(text: str) -> int | None:
    text = text.strip()
    if re.fullmatch(r"[0-9]{1,2}", text):
        return int(text)
    return None


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def _evidence(text: str) -> list[str] | None:
    kinds = [k.strip().lower() for k in re.split(r"[;|,/]", text) if k.strip()]
    if not kinds or any(k not in EvidenceKind.values for k in kinds):
        return None
    return list(dict.fromkeys(kinds))


def _parse(
    names: list[str], rows: list[list[str]], scheme: str | None, result: ImportResult
) -> dict[str, _Skill]:
    skills: dict[str, _Skill] = {}
    for number, raw in enumerate(rows, start=2):
        if not any(raw):
            continue
        row = {name: (raw[i] if i < len(raw) else "") for i, name in enumerate(names)}
        problem = unstorable_in_row(row)
        if problem is not None:
            result.skip(number, problem)
            continue
        code = row["skill_code"]
        if not CODE.match(code):
            result.skip(number, "skill_code missing or not a code (letters, digits, . _ -)", code)
            continue
        skill = skills.get(code)
        if skill is None:
            name = row["skill_name"]
            if not name or len(name) > 200:
                result.skip(number, "skill_name missing or over 200 characters", name)
                continue
            category = (row.get("category") or DEFAULT_CATEGORY).lower()
            if category not in SkillCategory.values:
                result.skip(
                    number,
                    f"category not one of {', '.join(SkillCategory.values)}",
                    category,
                )
                continue
            scale = [row.get("scale_min", ""), row.get("scale_max", "")]
            bounds = [_whole(s) if s else None for s in scale]
            if any(s and b is None for s, b in zip(scale, bounds, strict=True)):
                result.skip(number, "scale_min/scale_max not whole numbers", "/".join(scale))
                continue
            if len(row.get("skill_description", "")) > MAX_TEXT:
                result.skip(number, f"skill_description over {MAX_TEXT} characters", code)
                continue
            external = row.get("external_code", "")
            if external and scheme and not SCHEMES[scheme].match(external):
                result.skip(number, f"external_code is not a {scheme} code", external)
                continue
            skill = _Skill(
                row=number,
                code=code,
                name=name,
                category=category,
                parent_code=row.get("parent_code", ""),
                description=row.get("skill_description", ""),
                scale_min=bounds[0],
                scale_max=bounds[1],
                external=external,
                netdesk=row.get("netdesk_skill", ""),
            )
            skills[code] = skill
        level_text = row.get("level", "")
        if not level_text:
            if row.get("level_description") or row.get("indicator"):
                result.skip(number, "level_description or indicator without a level", code)
            continue
        level = _whole(level_text)
        if level is None:
            result.skip(number, "level is not a whole number from 0 to 99", level_text)
            continue
        over = next((c for c, most in TEXT_LIMITS.items() if len(row.get(c, "")) > most), None)
        if over is not None:
            result.skip(number, f"{over} over {TEXT_LIMITS[over]} characters", code)
            continue
        description = row.get("level_description", "")
        if description:
            known = skill.levels.get(level)
            if known is not None and known[1] != description:
                result.skip(number, f"level {level} of {code} is described twice", code)
                continue
            skill.levels[level] = (row.get("level_title", ""), description)
        indicator = row.get("indicator", "")
        if indicator:
            kinds = _evidence(row.get("evidence", "") or "observation")
            if kinds is None:
                result.skip(
                    number,
                    f"evidence not among {', '.join(EvidenceKind.values)}",
                    row.get("evidence", ""),
                )
                continue
            rule: dict[str, Any] = {}
            if row.get("kpi"):
                for bound in ("at_least", "at_most"):
                    value = row.get(f"kpi_{bound}", "")
                    if value:
                        parsed = _number(value)
                        if parsed is None:
                            rule = {"bad": value}
                            break
                        rule[bound] = parsed
                if "bad" in rule or not rule:
                    result.skip(number, "kpi needs a numeric kpi_at_least or kpi_at_most", code)
                    continue
                rule["kpi"] = row["kpi"]
                if EvidenceKind.KPI not in kinds:
                    kinds.append(EvidenceKind.KPI)
            skill.indicators.append((level, indicator, kinds, rule))
    return skills


def _order(skills: dict[str, _Skill], result: ImportResult) -> list[_Skill]:
    """Parents before children; a parent not in the file, or a loop, is
    reported and the skill is kept at the top."""
    ordered: list[_Skill] = []
    placed: set[str] = set()
    for skill in skills.values():
        if skill.parent_code and skill.parent_code not in skills:
            result.skip(
                skill.row, "parent_code not in the file; kept at the top", skill.parent_code
            )
            skill.parent_code = ""
    for skill in skills.values():
        seen: set[str] = set()
        current = skill
        while current.parent_code:
            if current.parent_code == skill.code:
                result.skip(
                    skill.row, "parent_code makes a loop; kept at the top", skill.parent_code
                )
                skill.parent_code = ""
                break
            if current.parent_code in seen:
                break  # a loop further up: cut when its own skill comes round
            seen.add(current.parent_code)
            current = skills[current.parent_code]
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


def _netdesk_matches(scheme: str | None) -> dict[str, str]:
    """External code → NetDesk skill code, from the published frameworks'
    skills that carry a code of the scheme."""
    if scheme is None:
        return {}
    matches: dict[str, str] = {}
    for code, external in Skill.objects.filter(
        framework__state=FrameworkState.PUBLISHED
    ).values_list("code", "external_codes"):
        value = (external or {}).get(scheme)
        if value:
            matches.setdefault(value, code)
    return matches


def import_framework(
    path: Path,
    *,
    name: str,
    map_external: str | None = None,
    publish: bool = False,
    dry_run: bool = False,
    sheet: str | None = None,
    description: str = "",
) -> ImportResult:
    """Read the file and write it as a new draft version of `name`."""
    if map_external is not None and map_external not in SCHEMES:
        raise ImportFailed(f"--map-external {map_external!r}: give one of {', '.join(SCHEMES)}.")
    header, rows = read_rows(path, sheet=sheet)
    names = check_header(header)
    if len(rows) > MAX_ROWS:
        raise ImportFailed(f"{path}: {len(rows)} rows; at most {MAX_ROWS} are imported at once.")
    if Framework.objects.filter(name=name, state=FrameworkState.DRAFT).exists():
        raise ImportFailed(
            f"A draft of {name!r} exists already; publish or delete it before importing again."
        )
    result = ImportResult()
    parsed = _parse(names, rows, map_external, result)
    if not parsed:
        raise ImportFailed(f"{path}: no row could be imported; nothing was written.")
    ordered = _order(parsed, result)
    matches = _netdesk_matches(map_external)
    scheme_key = map_external or "external"
    try:
        with transaction.atomic():
            framework = framework_create(
                actor=None, name=name, description=description, source=path.name[:200]
            )
            _write(framework, ordered, result, scheme_key, matches)
            if publish:
                framework_publish(actor=None, framework=framework)
                framework.refresh_from_db()
            result.framework = framework
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return result


class _DryRun(Exception):
    pass


def _write(
    framework: Framework,
    ordered: list[_Skill],
    result: ImportResult,
    scheme_key: str,
    matches: dict[str, str],
) -> None:
    created: dict[str, Skill] = {}
    levels: list[LevelDescriptor] = []
    indicators: list[Indicator] = []
    for item in ordered:
        used = list(item.levels) + [i[0] for i in item.indicators]
        low = item.scale_min if item.scale_min is not None else min([1, *used])
        high = item.scale_max if item.scale_max is not None else max([5, *used])
        if not low < high:
            result.skip(item.row, "scale_min must be below scale_max", f"{low}/{high}")
            low, high = min(low, 1), max(high, 5)
        external: dict[str, str] = {}
        if item.external:
            external[scheme_key] = item.external
        netdesk = item.netdesk or matches.get(item.external, "")
        if netdesk:
            external["netdesk"] = netdesk
        if item.external or item.netdesk:
            result.mapped.append((item.code, item.external, netdesk))
        skill = Skill.objects.create(
            framework=framework,
            code=item.code,
            name=item.name,
            category=item.category,
            parent=created.get(item.parent_code),
            description=item.description,
            scale_min=low,
            scale_max=high,
            external_codes=external,
        )
        created[item.code] = skill
        for level, (title, text) in sorted(item.levels.items()):
            if not low <= level <= high:
                result.skip(item.row, f"level {level} outside the scale {low}–{high}", item.code)
                continue
            levels.append(LevelDescriptor(skill=skill, level=level, title=title, description=text))
        for level, text, kinds, rule in item.indicators:
            if not low <= level <= high:
                result.skip(item.row, f"indicator level {level} outside {low}–{high}", item.code)
                continue
            indicators.append(
                Indicator(skill=skill, level=level, text=text, evidence=kinds, kpi_rule=rule)
            )
    LevelDescriptor.objects.bulk_create(levels)
    Indicator.objects.bulk_create(indicators)
    result.skills = len(created)
    result.levels = len(levels)
    result.indicators = len(indicators)

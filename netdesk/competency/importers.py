"""Import a competency framework from a CSV or XLSX file the organisation
holds (e.g. its licensed copy of SFIA or the e-CF): one row per skill, per
level descriptor or per indicator, and optionally a second file of role
profiles; see docs/competency.md for the columns. The built-in framework is
such a pair of files (netdesk/competency/data/).

The header is checked before anything is written; rows that cannot be used
are skipped, each with its row number and reason, and the rest is written
through the framework services (the one write path for frameworks) into a
new draft version (published at once with `publish=True`). External codes
(`--map-external sfia|ecf`) are kept on the skills and matched to the
NetDesk skills that carry the same code.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from openpyxl import load_workbook

from netdesk.competency.framework_file import (
    ALIASES,
    COLUMNS,
    MAX_TEXT,
    PROFILE_COLUMNS,
    PROFILE_REQUIRED,
    REQUIRED,
    SCHEMES,
    ProfileRow,
    SkillRow,
    SkipRow,
    order_skills,
    parse_profiles,
    parse_skills,
)
from netdesk.competency.models import Framework, FrameworkState, Skill
from netdesk.competency.services import bulk
from netdesk.competency.services import framework as services
from netdesk.competency.services.bulk import (
    IndicatorGiven,
    LevelGiven,
    ProfileGiven,
    RequirementGiven,
    SkillGiven,
)
from netdesk.core.csvrows import MAX_ROW_CHARACTERS, CsvUnreadable, csv_rows
from netdesk.core.errors import ImportFailed

MAX_ROWS = 100_000


@dataclass
class Skipped:
    row: int
    reason: str
    value: str = ""
    # The file the row is in, when an import reads more than one.
    file: str = ""


@dataclass
class ImportResult:
    framework: Framework | None = None
    skills: int = 0
    levels: int = 0
    indicators: int = 0
    profiles: int = 0
    requirements: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    # (imported skill code, external code, matching NetDesk skill code or "")
    mapped: list[tuple[str, str, str]] = field(default_factory=list)

    def skip(self, row: int, reason: str, value: Any = "", file: str = "") -> None:
        self.skipped.append(Skipped(row=row, reason=reason, value=str(value)[:80], file=file))

    def skipper(self, file: str) -> SkipRow:
        """`skip` for the rows of another file than the framework's."""

        def skip(row: int, reason: str, value: Any = "") -> None:
            self.skip(row, reason, value, file=file)

        return skip


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


# ---- a framework file -------------------------------------------------------------


@dataclass
class FrameworkFile:
    """What a framework file and its profiles file say, checked row by row."""

    skills: list[SkillRow]
    profiles: list[ProfileRow]


def _rows_of(path: Path, sheet: str | None) -> tuple[list[str], list[list[str]]]:
    header, rows = read_rows(path, sheet=sheet)
    if len(rows) > MAX_ROWS:
        raise ImportFailed(f"{path}: {len(rows)} rows; at most {MAX_ROWS} are imported at once.")
    return header, rows


def read_framework(
    path: Path,
    *,
    result: ImportResult,
    map_external: str | None = None,
    sheet: str | None = None,
    profiles: Path | None = None,
) -> FrameworkFile:
    """Read and check a framework file (and its role profiles); the rows
    that cannot be used go to `result.skipped`. Writes nothing."""
    if map_external is not None and map_external not in SCHEMES:
        raise ImportFailed(f"--map-external {map_external!r}: give one of {', '.join(SCHEMES)}.")
    header, rows = _rows_of(path, sheet)
    names = check_header(header)
    parsed = parse_skills(names, rows, map_external, result.skip)
    if not parsed:
        raise ImportFailed(f"{path}: no row could be imported; nothing was written.")
    ordered = order_skills(parsed, result.skip)
    profile_rows: list[ProfileRow] = []
    if profiles is not None:
        header, rows = _rows_of(profiles, None)
        names = check_header(header, required=PROFILE_REQUIRED, columns=PROFILE_COLUMNS, aliases={})
        profile_rows = parse_profiles(names, rows, parsed, result.skipper(profiles.name))
    return FrameworkFile(skills=ordered, profiles=profile_rows)


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
    profiles: Path | None = None,
    source: str | None = None,
) -> ImportResult:
    """Read the file (and the role profiles file) and write it as a new
    draft version of `name`; `source` defaults to the file's name."""
    result = ImportResult()
    read = read_framework(
        path, result=result, map_external=map_external, sheet=sheet, profiles=profiles
    )
    if Framework.objects.filter(name=name, state=FrameworkState.DRAFT).exists():
        raise ImportFailed(
            f"A draft of {name!r} exists already; publish or delete it before importing again."
        )
    matches = _netdesk_matches(map_external)
    try:
        with transaction.atomic():
            framework = services.framework_create(
                actor=None,
                name=name,
                description=description,
                source=path.name[:200] if source is None else source,
            )
            skills = _write_skills(framework, read.skills, result, matches)
            _write_profiles(framework, read.profiles, skills, result, profiles)
            if publish:
                services.framework_publish(actor=None, framework=framework)
                framework.refresh_from_db()
            result.framework = framework
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return result


class _DryRun(Exception):
    pass


def _skill_given(item: SkillRow, result: ImportResult, matches: dict[str, str]) -> SkillGiven:
    """What the services are asked to write for a skill's rows; a scale or
    level the file gets wrong is reported here, with the file's words."""
    low, high = item.scale()
    if not low < high:
        result.skip(item.row, "scale_min must be below scale_max", f"{low}/{high}")
        low, high = min(low, 1), max(high, 5)
    levels = []
    for level, (title, text) in sorted(item.levels.items()):
        if low <= level <= high:
            levels.append(LevelGiven(level=level, description=text, title=title))
        else:
            result.skip(item.row, f"level {level} outside the scale {low}–{high}", item.code)
    indicators = []
    for level, text, kinds, rule in item.indicators:
        if low <= level <= high:
            indicators.append(IndicatorGiven(level=level, text=text, evidence=kinds, kpi_rule=rule))
        else:
            result.skip(item.row, f"indicator level {level} outside {low}–{high}", item.code)
    codes = item.external_codes(matches)
    if item.external or item.netdesk:
        result.mapped.append((item.code, item.external, codes.get("netdesk", "")))
    return SkillGiven(
        code=item.code,
        name=item.name,
        category=item.category,
        parent_code=item.parent_code,
        description=item.description,
        scale_min=low,
        scale_max=high,
        external_codes=codes,
        levels=levels,
        indicators=indicators,
    )


def _write_skills(
    framework: Framework,
    ordered: list[SkillRow],
    result: ImportResult,
    matches: dict[str, str],
) -> set[str]:
    """Write the skills through the framework services; a part they refuse
    skips its skill's row with their reason. The codes written."""
    first_skip = len(result.skipped)
    given = [_skill_given(item, result, matches) for item in ordered]
    written = bulk.skills_import(actor=None, framework=framework, skills=given)
    for refusal in written.refused:
        item = ordered[refusal.index]
        if refusal.part == "skill":
            result.skip(item.row, f"skill not imported: {refusal.error.message}", item.code)
        elif refusal.part == "parent":
            result.skip(item.row, "parent_code was not imported; kept at the top", item.parent_code)
        else:
            result.skip(item.row, refusal.error.message, item.code)
    # Each skill's problems together, skills in the order they were written.
    position = {item.row: index for index, item in enumerate(ordered)}
    result.skipped[first_skip:] = sorted(
        result.skipped[first_skip:], key=lambda skipped: position[skipped.row]
    )
    result.skills, result.levels = len(written.skills), written.levels
    result.indicators = written.indicators
    return {skill.code for skill in written.skills.values()}


def _write_profiles(
    framework: Framework,
    profiles: list[ProfileRow],
    skills: set[str],
    result: ImportResult,
    path: Path | None,
) -> None:
    if not profiles:
        return
    skip = result.skipper(path.name if path is not None else "")
    given, rows = [], []
    for item in profiles:
        needs = [need for need in item.needs if need[0] in skills]
        for code, _level, _hard, row in item.needs:
            if code not in skills:
                skip(row, "skill_code was not imported", code)
        given.append(
            ProfileGiven(
                name=item.name,
                description=item.description,
                requirements=[
                    RequirementGiven(code, level, hard) for code, level, hard, _ in needs
                ],
            )
        )
        rows.append(needs)
    written = bulk.profiles_import(actor=None, framework=framework, profiles=given)
    for refusal in written.refused:
        item = profiles[refusal.index]
        if refusal.part == "profile":
            skip(item.row, refusal.error.message, item.name)
        else:
            code, _level, _hard, row = rows[refusal.index][refusal.position]
            skip(row, refusal.error.message, code)
    result.profiles, result.requirements = len(written.profiles), written.requirements

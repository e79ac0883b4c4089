"""Competency framework import benchmark: write a framework file of N rows
(and a role profiles file) in the format `netdesk competency import` reads,
for timing the import:

    python bench/competency_import.py --rows 5000 --out /tmp/framework-5000.csv
    time netdesk competency import /tmp/framework-5000.csv --name Bench \\
        --profiles /tmp/framework-5000-profiles.csv

Each skill takes ten rows: five level descriptors and five indicators (one
in five with a KPI rule); one skill in ten is a group the next nine hang
under. One role profile per hundred skills requires twenty of them.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

HEADER = [
    "skill_code",
    "skill_name",
    "category",
    "parent_code",
    "skill_description",
    "level",
    "level_title",
    "level_description",
    "indicator",
    "evidence",
    "kpi",
    "kpi_at_least",
]
ROWS_PER_SKILL = 10


def skill_rows(number: int) -> list[list[str]]:
    code = f"SK-{number:05d}"
    parent = "" if number % 10 == 0 else f"SK-{number - number % 10:05d}"
    first = [code, f"Skill {number}", "technical", parent, f"What skill {number} covers."]
    rows = []
    for level in range(1, 6):
        lead = first if level == 1 else [code, "", "", "", ""]
        rows.append([*lead, str(level), f"L{level}", f"Level {level} of {code}.", "", "", "", ""])
    for level in range(1, 6):
        kpi = level == 3
        rows.append(
            [
                code,
                *([""] * 4),
                str(level),
                "",
                "",
                f"Shows {code} at level {level}.",
                "kpi" if kpi else "observation",
                "resolution.first_contact_rate" if kpi else "",
                "0.6" if kpi else "",
            ]
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    skills = max(1, args.rows // ROWS_PER_SKILL)
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for number in range(skills):
            writer.writerows(skill_rows(number))
    profiles = args.out.with_name(f"{args.out.stem}-profiles.csv")
    with profiles.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["profile", "skill_code", "min_level", "requirement"])
        for first in range(0, skills, 100):
            for number in range(first, min(first + 20, skills)):
                writer.writerow([f"Profile {first // 100}", f"SK-{number:05d}", "3", "required"])
    print(f"{args.out}: {skills * ROWS_PER_SKILL} rows, {skills} skills; {profiles}")


if __name__ == "__main__":
    main()

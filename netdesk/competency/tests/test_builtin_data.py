"""The built-in framework is installed from its data file: the framework,
skills, level descriptors, indicators and role profiles it writes are
exactly those in the snapshot `builtin_snapshot.json` (taken when the
framework was still written out as Python literals)."""

import json
from pathlib import Path
from typing import Any

import pytest

from netdesk.competency.models import (
    Framework,
    Indicator,
    LevelDescriptor,
    ProfileRequirement,
    RoleProfile,
    Skill,
)

pytestmark = pytest.mark.django_db

SNAPSHOT = Path(__file__).with_name("builtin_snapshot.json")
NAME = "NetDesk network customer service"


def installed(name: str = NAME) -> dict[str, Any]:
    """Everything the built-in framework's version 1 holds, in creation
    order, with JSON fields as the database gives them back."""
    framework = Framework.objects.get(name=name, version=1)
    skills = Skill.objects.filter(framework=framework).order_by("pk")
    code = {s.pk: s.code for s in skills}
    profiles = RoleProfile.objects.filter(framework=framework).order_by("pk")
    return {
        "framework": {
            "name": framework.name,
            "version": framework.version,
            "state": framework.state,
            "description": framework.description,
            "source": framework.source,
            "published": framework.published_at is not None,
        },
        "skills": [
            {
                "code": s.code,
                "name": s.name,
                "category": s.category,
                "parent": code.get(s.parent_id) if s.parent_id else None,
                "description": s.description,
                "scale": [s.scale_min, s.scale_max],
                "external_codes": s.external_codes,
            }
            for s in skills
        ],
        "levels": [
            [code[d.skill_id], d.level, d.title, d.description]
            for d in LevelDescriptor.objects.filter(skill__framework=framework).order_by("pk")
        ],
        "indicators": [
            [code[i.skill_id], i.level, i.text, i.evidence, i.kpi_rule]
            for i in Indicator.objects.filter(skill__framework=framework).order_by("pk")
        ],
        "profiles": [
            {
                "name": p.name,
                "description": p.description,
                "requirements": [
                    [code[r.skill_id], r.min_level, r.hard]
                    for r in ProfileRequirement.objects.filter(profile=p).order_by("pk")
                ],
            }
            for p in profiles
        ],
    }


def as_json(data: dict[str, Any]) -> str:
    """Number types count (20 and 20.0 differ); key order does not, as
    PostgreSQL's jsonb keeps its own."""
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def test_the_installed_framework_is_the_snapshot():
    assert as_json(installed()) == SNAPSHOT.read_text()

"""Installing the built-in framework (netdesk/competency/builtin.py) from
its files: migration 0002 does it on a fresh database, tests after a flush."""

from __future__ import annotations

from typing import Any

from netdesk.competency.builtin import (
    FRAMEWORK_DESCRIPTION,
    FRAMEWORK_FILE,
    FRAMEWORK_NAME,
    FRAMEWORK_SOURCE,
    PROFILES_FILE,
)
from netdesk.competency.importers import ImportResult, read_framework


def install(apps: Any, *, published_at: Any) -> Any:
    """Create the built-in framework, published, with its role profiles.
    `apps` is a migration's app registry (or django.apps.apps); does nothing
    if the framework exists.

    The files are read and checked by the importer's own reader, but written
    here with `apps`' models rather than through the framework services: a
    migration must write with the models of its own time (the services use
    today's models, whose later fields do not exist yet when 0002 runs), so
    only fields present since migration 0002 are used."""
    Framework = apps.get_model("competency", "Framework")
    Skill = apps.get_model("competency", "Skill")
    LevelDescriptor = apps.get_model("competency", "LevelDescriptor")
    Indicator = apps.get_model("competency", "Indicator")
    RoleProfile = apps.get_model("competency", "RoleProfile")
    ProfileRequirement = apps.get_model("competency", "ProfileRequirement")

    found = Framework.objects.filter(name=FRAMEWORK_NAME).first()
    if found is not None:
        return found
    result = ImportResult()
    shipped = read_framework(FRAMEWORK_FILE, result=result, profiles=PROFILES_FILE)
    if result.skipped:
        raise ValueError(f"The built-in framework's files have unusable rows: {result.skipped}")
    framework = Framework.objects.create(
        name=FRAMEWORK_NAME,
        version=1,
        state="published",
        description=FRAMEWORK_DESCRIPTION,
        source=FRAMEWORK_SOURCE,
        published_at=published_at,
    )
    by_code: dict[str, Any] = {}
    levels, indicators = [], []
    for item in shipped.skills:  # parents come before their children
        low, high = item.scale()
        skill = by_code[item.code] = Skill.objects.create(
            framework=framework,
            code=item.code,
            name=item.name,
            category=item.category,
            parent=by_code.get(item.parent_code),
            description=item.description,
            scale_min=low,
            scale_max=high,
            external_codes=item.external_codes({}),
        )
        levels += [
            LevelDescriptor(skill=skill, level=level, title=title, description=text)
            for level, (title, text) in sorted(item.levels.items())
        ]
        indicators += [
            Indicator(skill=skill, level=level, text=text, evidence=kinds, kpi_rule=rule)
            for level, text, kinds, rule in item.indicators
        ]
    LevelDescriptor.objects.bulk_create(levels)
    Indicator.objects.bulk_create(indicators)
    requirements = []
    for profile in shipped.profiles:
        made = RoleProfile.objects.create(
            framework=framework, name=profile.name, description=profile.description
        )
        requirements += [
            ProfileRequirement(profile=made, skill=by_code[code], min_level=level, hard=hard)
            for code, level, hard, _row in profile.needs
        ]
    ProfileRequirement.objects.bulk_create(requirements)
    return framework

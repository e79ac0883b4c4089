"""`netdesk migrate`: Django's migrate, then the shared cache's table.

The cache (API throttle counts) is a table in the desk's database so every
web process shares it; Django creates it with createcachetable, not with a
migration, so the one setup command does both (it is idempotent).
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.commands.migrate import Command as MigrateCommand


class Command(MigrateCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        call_command(
            "createcachetable", database=options["database"], verbosity=options["verbosity"]
        )

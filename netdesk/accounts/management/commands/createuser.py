"""`netdesk createuser --username U --role R [--password P]`."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from netdesk.accounts.models import Role, SupportGroup
from netdesk.accounts.services import user_create
from netdesk.core.errors import ServiceError


class Command(BaseCommand):
    help = "Create a desk user with a role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--password",
            help="omit to be asked (or to create a user "
            "without a password when there is no terminal)",
        )
        parser.add_argument(
            "--group", action="append", default=[], help="support group name to join (repeatable)"
        )
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"]
        if password is None and sys.stdin.isatty():
            password = getpass.getpass("Password: ")
        groups = []
        for name in options["group"]:
            group = SupportGroup.objects.filter(name=name).first()
            if group is None:
                known = ", ".join(SupportGroup.objects.values_list("name", flat=True))
                raise CommandError(f"--group {name!r} does not exist; known groups: {known}")
            groups.append(group)
        try:
            user = user_create(
                username=options["username"],
                role=options["role"],
                password=password,
                first_name=options["first_name"],
                last_name=options["last_name"],
                email=options["email"],
            )
        except ServiceError as exc:
            raise CommandError(f"--{exc.field}: {exc.message}") from exc
        for group in groups:
            group.members.add(user)
        self.stdout.write(f"Created {user.username} ({user.get_role_display()}).")

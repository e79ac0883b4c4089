"""`netdesk token create --user U`: prints a new API token once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from netdesk.accounts.models import ApiToken, User
from netdesk.accounts.services import token_create, token_revoke


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it once")
        create.add_argument("--user", required=True)
        create.add_argument("--name", default="")
        listing = sub.add_parser("list", help="list a user's tokens (prefixes only)")
        listing.add_argument("--user", required=True)
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("--prefix", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "revoke":
            token = ApiToken.objects.filter(
                prefix=options["prefix"], revoked_at__isnull=True
            ).first()
            if token is None:
                raise CommandError(f"--prefix {options['prefix']!r}: no active token has it.")
            token_revoke(token=token)
            self.stdout.write(f"Revoked {token.prefix}…")
            return
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"--user {options['user']!r}: no such user.")
        if action == "list":
            for token in user.api_tokens.order_by("created_at"):
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(f"{token.prefix}…  {token.name or '-'}  {state}")
            return
        _, secret = token_create(user=user, name=options["name"])
        self.stdout.write(secret)

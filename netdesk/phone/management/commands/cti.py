"""`netdesk cti endpoint create|list|revoke` manages the endpoints PBXs post
call events to; `netdesk cti play --url URL` plays a few calls to one over
HTTP, as a PBX would (to try the screen pop and the call log)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from netdesk.accounts.models import Role, User
from netdesk.core.errors import ServiceError
from netdesk.customers.models import Customer
from netdesk.phone.models import CtiEndpoint
from netdesk.phone.services.endpoints import (
    cti_endpoint_create,
    cti_endpoint_path,
    cti_endpoint_revoke,
)

DESK_NUMBER = "+49 30 2000 1000"
# Numbers for when the desk has no customers with one yet.
STRANGERS = ("+49 30 7000 0001", "+49 40 7000 0002", "+49 89 7000 0003")
# How the played calls go, in turn: (what happens, hangup cause).
PLAYED = (
    ("answered", "normalClearing"),
    ("missed", "noAnswer"),
    ("busy", "busy"),
    ("abandoned", "cancel"),
)
TIMEOUT_SECONDS = 10


class Command(BaseCommand):
    help = "Manage CTI endpoints, or play demo calls to one."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="area", required=True)
        endpoint = sub.add_parser("endpoint", help="create, list or revoke CTI endpoints")
        actions = endpoint.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create an endpoint and print its path once")
        create.add_argument("--name", required=True)
        actions.add_parser("list", help="list endpoints (token prefixes only)")
        revoke = actions.add_parser("revoke", help="revoke an endpoint: its events are refused")
        revoke.add_argument("--name", required=True)
        play = sub.add_parser("play", help="play demo calls to an endpoint over HTTP")
        play.add_argument("--url", required=True, help="http://HOST:PORT/api/v1/cti/<token>")
        play.add_argument("--calls", type=int, default=4, help="how many calls (default 4)")
        play.add_argument(
            "--agent",
            default="",
            help="user name who answers (default: the first hotline operator)",
        )
        play.add_argument(
            "--pause", type=float, default=1.0, help="seconds between a call's events (default 1)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["area"] == "play":
            self._play(options)
            return
        action = options["action"]
        try:
            if action == "create":
                endpoint, token = cti_endpoint_create(name=options["name"])
                self.stdout.write(
                    f"Endpoint {endpoint.name!r} created. The PBX posts its call events to "
                    "this path of the desk's address (shown once; keep it secret):"
                )
                self.stdout.write(cti_endpoint_path(token))
            elif action == "revoke":
                endpoint = cti_endpoint_revoke(name=options["name"])
                self.stdout.write(f"Endpoint {endpoint.name!r} revoked: its events are refused.")
            else:
                self._list()
        except ServiceError as error:
            raise CommandError(error.message) from None

    def _list(self) -> None:
        endpoints = CtiEndpoint.objects.order_by("name")
        if not endpoints:
            self.stdout.write("No CTI endpoints yet: netdesk cti endpoint create --name NAME")
        for endpoint in endpoints:
            state = (
                f"revoked {endpoint.revoked_at:%Y-%m-%d %H:%M}" if endpoint.revoked_at else "active"
            )
            last = (
                f"last event {endpoint.last_event_at:%Y-%m-%d %H:%M}"
                if endpoint.last_event_at
                else "no events yet"
            )
            self.stdout.write(f"{endpoint.name}  {endpoint.prefix}…  {state}  {last}")

    def _play(self, options: dict[str, Any]) -> None:
        url = options["url"]
        if not url.startswith(("http://", "https://")) or "/api/v1/cti/" not in url:
            raise CommandError(
                f"--url {url!r} is not an endpoint's address; give "
                "http://HOST:PORT/api/v1/cti/<token> as 'netdesk cti endpoint create' printed it."
            )
        if not 1 <= options["calls"] <= 1000:
            raise CommandError(f"--calls {options['calls']}: give 1 to 1000.")
        agent = _agent(options["agent"])
        numbers = list(
            Customer.objects.exclude(phone="").order_by("pk").values_list("phone", flat=True)[:10]
        ) or list(STRANGERS)
        for n in range(options["calls"]):
            how, cause = PLAYED[n % len(PLAYED)]
            number = numbers[n % len(numbers)]
            base: dict[str, Any] = {"callId": str(uuid.uuid4()), "direction": "in", "from": number}
            base |= {"to": DESK_NUMBER, "user[]": [agent], "queue": "hotline"}
            self._post(url, {**base, "event": "newCall"})
            time.sleep(options["pause"])
            if how == "answered":
                self._post(url, {**base, "event": "answer", "user[]": [agent]})
                time.sleep(options["pause"] * 2)
            self._post(url, {**base, "event": "hangup", "cause": cause})
            self.stdout.write(f"Call {n + 1}: {number}, {how} ({cause}).")

    def _post(self, url: str, fields: dict[str, Any]) -> None:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url,
            data=json.dumps(fields).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as error:
            body = error.read()[:300].decode("utf-8", "replace")
            raise CommandError(
                f"The desk refused the {fields['event']} event: {error.code} {body}"
            ) from None
        except OSError as error:
            raise CommandError(
                f"The desk at {url.split('/api/')[0]} did not answer: {error}"
            ) from None


def _agent(username: str) -> str:
    """Who answers the played calls: the named user, or the first hotline operator."""
    if username:
        if not User.objects.filter(username=username, is_active=True).exists():
            raise CommandError(f"--agent {username!r}: no active user has that name.")
        return username
    first = (
        User.objects.filter(role=Role.HOTLINE_OPERATOR, is_active=True)
        .order_by("pk")
        .values_list("username", flat=True)
        .first()
    )
    if first is None:
        raise CommandError("No hotline operator answers the calls; name one with --agent USERNAME.")
    return first

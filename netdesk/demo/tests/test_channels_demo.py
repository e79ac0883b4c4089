"""The demo's portal, chat and phone: subscribers who sign in with their
PIN, agents with extensions, a CTI endpoint that takes played calls, and
the addresses printed beside the agent logins."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from netdesk.accounts.models import User
from netdesk.customers.models import Customer
from netdesk.demo.reset import demo_delete
from netdesk.noc.selectors import network_status_for
from netdesk.phone.models import Call, CtiEndpoint
from netdesk.portal.services.signin import portal_pin_sign_in

pytestmark = pytest.mark.django_db

SMALL = {"subscribers": 200, "tickets": 300, "no_serve": True, "verbosity": 0}
PORTAL_LINE = re.compile(r"^  (\S+)\s+(\d{8})\s+(.+?) — (.+)$", re.MULTILINE)


def run_demo(**options: object) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **{**SMALL, **options})
    return out.getvalue()


def test_the_demo_prints_portal_logins_that_sign_in_one_on_the_outage() -> None:
    output = run_demo()

    logins = PORTAL_LINE.findall(output)
    assert len(logins) == 3
    assert "Customer portal: http://127.0.0.1:8000/portal/sign-in/" in output
    for account, pin, _name, _note in logins:
        signed_in = portal_pin_sign_in(account=account, pin=pin, client="127.0.0.1")
        assert signed_in.contact is not None
        assert signed_in.contact.customer.account_number == account
    affected = [
        Customer.objects.get(account_number=account)
        for account, _pin, _name, note in logins
        if note.startswith("on the outage under way (NI-")
    ]
    assert len(affected) == 1
    assert network_status_for(affected[0].pk)
    assert "Web chat test page: http://127.0.0.1:8000/chat/demo/" in output


def test_agents_get_extensions_and_the_demo_pbx_takes_the_printed_calls() -> None:
    output = run_demo()

    assert User.objects.get(username="hotline").phone_extension == "201"
    extensions = list(User.objects.exclude(phone_extension="").values_list("phone_extension"))
    assert len(extensions) == len(set(extensions)) == User.objects.count()
    url = re.search(r"netdesk cti play --url http://127\.0\.0\.1:8000(/api/v1/cti/\S+)", output)
    assert url is not None
    posted = Client().post(
        url.group(1),
        {"event": "newCall", "callId": "demo-1", "direction": "in", "from": "+4930111"},
    )
    assert posted.status_code == 200, posted.content
    assert Call.objects.get(call_id="demo-1").endpoint.name == "demo-pbx"


def test_serving_the_demo_again_prints_the_same_pins_and_a_reset_removes_the_pbx() -> None:
    output = run_demo()
    first = PORTAL_LINE.findall(output)
    url = re.search(r"--url http://127\.0\.0\.1:8000(/api/v1/cti/\S+)", output)
    assert url is not None
    fields = {"event": "newCall", "callId": "demo-2", "direction": "in", "from": "+4930222"}
    assert Client().post(url.group(1), fields).status_code == 200
    assert Call.objects.filter(call_id="demo-2").exists()

    again = run_demo()

    assert PORTAL_LINE.findall(again) == first
    assert "netdesk cti endpoint create --name demo-pbx-2" in again
    assert demo_delete() == 1
    assert not CtiEndpoint.objects.filter(name="demo-pbx").exists()
    assert not Call.objects.filter(call_id="demo-2").exists()

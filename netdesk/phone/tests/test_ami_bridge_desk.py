"""The Asterisk bridge posting to a real desk (pytest-django's live server):
the calls a scripted Asterisk reports end up as the desk's Call rows."""

from __future__ import annotations

from dataclasses import replace

import pytest

from netdesk.phone.models import Call, CallDirection, CallOutcome
from netdesk.phone.services.endpoints import cti_endpoint_create, cti_endpoint_path
from netdesk.phone.tests.ami_scripts import (
    RecordingDesk,
    ScriptedAmi,
    answered_inbound,
    answered_outbound,
    missed_inbound,
)
from netdesk.phone.tests.test_ami_bridge import SECRET, run_bridge, settings_for
from tests import factories


@pytest.mark.django_db(transaction=True)
def test_calls_asterisk_reports_become_the_desks_calls_with_who_answered(live_server):
    agent = factories.user(username="anna")
    agent.phone_extension = "201"
    agent.save(update_fields=["phone_extension"])
    caller = factories.user(username="ben")
    caller.phone_extension = "202"
    caller.save(update_fields=["phone_extension"])
    _endpoint, token = cti_endpoint_create(name="asterisk")
    path = cti_endpoint_path(token)
    calls = answered_inbound() + missed_inbound() + answered_outbound()

    with (
        ScriptedAmi(secret=SECRET, sessions=[calls]).serving() as ami,
        RecordingDesk(forward_to=live_server.url).serving() as desk,
    ):
        settings = replace(settings_for(ami, desk), cti_url=desk.url(path.rsplit("/", 1)[1]))
        counts = run_bridge(settings, until=lambda: desk.tries >= 8, limit=20)

    assert (counts.posted, counts.refused) == (8, 0)
    by_id = {call.call_id: call for call in Call.objects.select_related("answered_by")}
    answered, missed, outbound = (
        by_id["1733300000.1"],
        by_id["1733300010.11"],
        by_id["1733300040.41"],
    )
    assert (answered.direction, answered.from_number, answered.to_number) == (
        CallDirection.INBOUND,
        "+4930111222",
        "4930555000",
    )
    assert (answered.outcome, answered.answered_by, answered.queue) == (
        CallOutcome.ANSWERED,
        agent,
        "support",
    )
    assert answered.answered_at is not None
    assert answered.ended_at is not None
    assert (missed.outcome, missed.answered_by) == (CallOutcome.MISSED, None)
    assert (outbound.direction, outbound.outcome, outbound.answered_by) == (
        CallDirection.OUTBOUND,
        CallOutcome.ANSWERED,
        caller,
    )

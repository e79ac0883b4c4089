"""The Asterisk bridge against a scripted AMI server on 127.0.0.1, posting
to a local HTTP server that records what the desk would receive."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from netdesk.phone.ami_bridge import BridgeRefused, BridgeSettings, bridge_run
from netdesk.phone.ami_calls import CallTracker
from netdesk.phone.ami_post import CtiPoster, Delivery, PostCounts
from netdesk.phone.tests.ami_scripts import (
    RecordingDesk,
    ScriptedAmi,
    abandoned_inbound,
    answered_inbound,
    answered_outbound,
    busy_inbound,
    missed_inbound,
)

SECRET = "s3cret-of-the-ami-user"


def tracked(events) -> list[dict[str, str]]:
    tracker = CallTracker()
    return [posted for event in events for posted in tracker.handle(event)]


def settings_for(ami: ScriptedAmi, desk: RecordingDesk, **extra) -> BridgeSettings:
    return BridgeSettings(
        ami_host="127.0.0.1",
        ami_port=ami.port,
        ami_user="netdesk",
        ami_secret=SECRET,
        cti_url=desk.url(),
        reconnect_first=0.05,
        reconnect_max=0.2,
        retry_first=0.05,
        retry_max=0.2,
        **extra,
    )


def run_bridge(settings: BridgeSettings, until: Callable[[], bool], limit: float = 10.0):
    """Runs the bridge until `until()` holds (or `limit` seconds), then stops it."""

    async def bounded() -> PostCounts:
        stop = asyncio.Event()
        task = asyncio.create_task(bridge_run(settings, stop=stop))
        deadline = time.monotonic() + limit
        # In a thread: `until` may read the database, which Django refuses
        # inside an event loop.
        while (
            not await asyncio.to_thread(until) and not task.done() and time.monotonic() < deadline
        ):
            await asyncio.sleep(0.02)
        stop.set()
        return await asyncio.wait_for(task, 10)

    return asyncio.run(bounded())


# The map from AMI events to CTI events, without any network.


def test_an_answered_inbound_call_is_new_then_answered_by_the_agent_extension_then_hung_up():
    posted = tracked(answered_inbound())

    assert [p["event"] for p in posted] == ["newCall", "answer", "hangup"]
    assert posted[0] == {
        "event": "newCall",
        "callId": "1733300000.1",
        "from": "+4930111222",
        "to": "4930555000",
        "direction": "in",
    }
    assert posted[1]["answeringNumber"] == "201"
    assert posted[1]["queue"] == "support"
    assert posted[2]["cause"] == "normalClearing"
    assert posted[2]["answeringNumber"] == "201"


@pytest.mark.parametrize(
    ("events", "cause"),
    [
        (missed_inbound(), "noAnswer"),
        (busy_inbound(), "busy"),
        (abandoned_inbound(), "cancel"),
    ],
)
def test_an_unanswered_call_hangs_up_with_the_cause_asterisk_gave(events, cause):
    posted = tracked(events)

    assert [p["event"] for p in posted] == ["newCall", "hangup"]
    assert posted[1]["cause"] == cause
    assert "answeringNumber" not in posted[1]


def test_a_call_from_an_agent_phone_is_outbound_and_answered_by_that_extension():
    posted = tracked(answered_outbound())

    assert [p["event"] for p in posted] == ["newCall", "answer", "hangup"]
    assert posted[0]["direction"] == "out"
    assert (posted[0]["from"], posted[0]["to"]) == ("202", "030123456")
    assert posted[1]["answeringNumber"] == "202"


def test_the_caller_hanging_up_with_a_normal_cause_after_no_answer_takes_the_dial_status():
    events = missed_inbound()
    events[-1]["Cause"] = "16"  # the dial plan hung up after Dial() timed out

    assert tracked(events)[-1]["cause"] == "noAnswer"


def test_a_rejected_call_and_an_unreachable_number_keep_their_q850_cause():
    rejected = missed_inbound()
    rejected[-1]["Cause"] = "21"
    unallocated = missed_inbound()
    unallocated[-1]["Cause"] = "1"

    assert tracked(rejected)[-1]["cause"] == "rejected"
    assert tracked(unallocated)[-1]["cause"] == "notFound"


def test_a_queue_member_rung_through_a_local_channel_is_the_answering_extension():
    events = answered_inbound()
    for event in events:
        for name in ("Channel", "DestChannel"):
            if event.get(name) == "PJSIP/201-00000002":
                event[name] = "Local/207@from-queue-00000009;1"

    assert tracked(events)[1]["answeringNumber"] == "207"


def test_calls_at_the_same_time_are_kept_apart_by_their_linkedid():
    first, second = answered_inbound("1733300100.1"), missed_inbound("1733300200.5")
    interleaved = [event for pair in zip(first, second, strict=False) for event in pair]
    interleaved += first[len(second) :] + second[len(first) :]

    posted = tracked(interleaved)

    by_call: dict[str, list[str]] = {p["callId"]: [] for p in posted}
    for p in posted:
        by_call[p["callId"]].append(p.get("cause", p["event"]))
    assert by_call == {
        "1733300100.1": ["newCall", "answer", "normalClearing"],
        "1733300200.5": ["newCall", "noAnswer"],
    }


def test_events_of_calls_that_began_before_the_bridge_are_ignored():
    events = answered_inbound()[1:]  # its Newchannel came before the bridge signed in

    assert tracked(events) == []


def test_a_transfer_after_the_answer_answers_only_once():
    events = answered_inbound()
    transfer = dict(events[-3], Channel="PJSIP/203-00000005", Uniqueid="1733300000.9")
    events.insert(-2, transfer)

    assert [p["event"] for p in tracked(events)] == ["newCall", "answer", "hangup"]


# Posting to the desk.


def test_a_desk_that_cannot_be_reached_is_tried_again_and_a_refusal_is_dropped(caplog):
    with RecordingDesk(answers=[(422, {"detail": "callId is missing"})]).serving() as desk:
        poster = CtiPoster(url=desk.url())
        refused = poster.post_once({"event": "hangup", "callId": ""})
        posted = poster.post_once({"event": "hangup", "callId": "1.1"})
    unreachable = CtiPoster(url=desk.url(), timeout=1).post_once({"event": "newCall"})

    assert (refused, posted, unreachable) == (Delivery.REFUSED, Delivery.POSTED, Delivery.RETRY)
    assert "422 callId is missing" in caplog.text
    assert "SECRETPART" not in caplog.text


def test_the_retry_queue_is_bounded_and_drops_the_oldest(caplog):
    poster = CtiPoster(url="http://127.0.0.1:9/api/v1/cti/cti_x", max_pending=2)
    for number in range(3):
        poster.submit({"event": "newCall", "callId": str(number)})

    assert [f["callId"] for f in poster.pending] == ["1", "2"]
    assert poster.counts.dropped_full == 1
    assert "dropped newCall of call 0" in caplog.text


# The whole bridge: scripted Asterisk, recording desk.


def test_four_calls_from_asterisk_reach_the_desk_as_cti_events_in_order(caplog):
    caplog.set_level(logging.DEBUG)
    calls = answered_inbound() + missed_inbound() + busy_inbound() + answered_outbound()
    with (
        ScriptedAmi(secret=SECRET, sessions=[calls]).serving() as ami,
        RecordingDesk().serving() as desk,
    ):
        counts = run_bridge(settings_for(ami, desk), until=lambda: len(desk.posts) >= 10)

    assert [(p["callId"], p["event"]) for p in desk.posts] == [
        ("1733300000.1", "newCall"),
        ("1733300000.1", "answer"),
        ("1733300000.1", "hangup"),
        ("1733300010.11", "newCall"),
        ("1733300010.11", "hangup"),
        ("1733300020.21", "newCall"),
        ("1733300020.21", "hangup"),
        ("1733300040.41", "newCall"),
        ("1733300040.41", "answer"),
        ("1733300040.41", "hangup"),
    ]
    assert [p.get("cause") for p in desk.posts if p["event"] == "hangup"] == [
        "normalClearing",
        "noAnswer",
        "busy",
        "normalClearing",
    ]
    assert set(desk.paths) == {"/api/v1/cti/cti_abcdefSECRETPART"}
    assert set(desk.content_types) == {"application/x-www-form-urlencoded"}
    assert counts.posted == 10
    login = ami.logins[0]
    assert (login["Username"], login["Events"]) == ("netdesk", "call,agent")
    assert SECRET not in caplog.text
    assert "SECRETPART" not in caplog.text


def test_events_the_desk_could_not_take_are_posted_again_and_refused_ones_dropped(caplog):
    problem = {"title": "A field has a value that is not accepted", "detail": "no such call"}
    answers = [(503, {}), (502, {}), (200, {}), (422, problem)]
    with (
        ScriptedAmi(secret=SECRET, sessions=[answered_inbound()]).serving() as ami,
        RecordingDesk(answers=answers).serving() as desk,
    ):
        counts = run_bridge(settings_for(ami, desk), until=lambda: desk.tries >= 5)

    assert [p["event"] for p in desk.posts] == ["newCall", "hangup"]
    assert (counts.posted, counts.refused, counts.retried) == (2, 1, 2)
    assert "the desk refused answer of call 1733300000.1: 422 no such call; dropped" in caplog.text


def test_the_bridge_signs_in_again_after_asterisk_drops_the_connection(caplog):
    call = answered_inbound()
    # The connection drops between the answer and the hang-ups.
    sessions = [call[:-2], call[-2:] + missed_inbound()]
    with (
        ScriptedAmi(secret=SECRET, sessions=sessions).serving() as ami,
        RecordingDesk().serving() as desk,
    ):
        run_bridge(settings_for(ami, desk), until=lambda: len(desk.posts) >= 5)

    assert len(ami.logins) >= 2
    assert [p["event"] for p in desk.posts] == ["newCall", "answer", "hangup", "newCall", "hangup"]
    assert "lost the AMI connection" in caplog.text


@pytest.mark.parametrize("refusal", ["Error", "Fail"])
def test_a_wrong_secret_stops_the_bridge_with_a_clear_message(caplog, refusal):
    caplog.set_level(logging.DEBUG)
    with (
        ScriptedAmi(
            secret="another", sessions=[answered_inbound()], refusal=refusal
        ).serving() as ami,
        RecordingDesk().serving() as desk,
        pytest.raises(BridgeRefused) as refused,
    ):
        run_bridge(settings_for(ami, desk), until=lambda: False)

    assert "refused the login of AMI user 'netdesk': Authentication failed" in str(refused.value)
    assert len(ami.logins) == 1
    assert desk.posts == []
    assert SECRET not in caplog.text
    assert SECRET not in repr(settings_for(ami, desk))


def test_an_unreachable_asterisk_is_tried_again_with_growing_pauses(caplog):
    with RecordingDesk().serving() as desk:
        settings = replace(settings_for(ScriptedAmi(secret=SECRET, sessions=[]), desk), ami_port=9)
        run_bridge(settings, until=lambda: caplog.text.count("cannot reach") >= 3, limit=3)

    assert "cannot reach Asterisk's AMI at 127.0.0.1:9" in caplog.text
    assert "trying again in 0.05 s" in caplog.text
    assert "trying again in 0.1 s" in caplog.text


# The command.


def test_the_command_takes_the_secret_from_a_file_or_the_environment_only(tmp_path, monkeypatch):
    monkeypatch.delenv("NETDESK_AMI_SECRET", raising=False)
    url = "http://127.0.0.1:9/api/v1/cti/cti_abcdef"

    with pytest.raises(CommandError, match="no AMI secret: give --ami-secret-file"):
        call_command("ami_bridge", "--ami-user", "netdesk", "--cti-url", url)
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(CommandError, match="is empty"):
        call_command(
            "ami_bridge",
            "--ami-user",
            "u",
            "--cti-url",
            url,
            "--ami-secret-file",
            tmp_path / "empty",
        )
    with pytest.raises(CommandError, match=r"--cti-url: .* has no CTI endpoint path"):
        call_command("ami_bridge", "--ami-user", "u", "--cti-url", "http://desk/api/v1/")
    with pytest.raises(CommandError, match="--ami-secret is not taken") as refused:
        call_command("ami_bridge", "--ami-user", "u", "--cti-url", url, "--ami-secret", SECRET)
    assert SECRET not in str(refused.value)


def test_the_command_reports_a_refused_login_and_never_prints_the_secret(monkeypatch):
    monkeypatch.setenv("NETDESK_AMI_SECRET", SECRET)
    with (
        ScriptedAmi(secret="another", sessions=[[]]).serving() as ami,
        pytest.raises(CommandError, match="Authentication failed") as refused,
    ):
        call_command(
            "ami_bridge",
            "--ami-user",
            "netdesk",
            "--ami-port",
            str(ami.port),
            "--cti-url",
            "http://127.0.0.1:9/api/v1/cti/cti_abcdef",
        )
    assert SECRET not in str(refused.value)


def test_the_command_runs_until_sigterm_and_posts_what_asterisk_said(tmp_path):
    secret_file = tmp_path / "ami-secret"
    secret_file.write_text(SECRET + "\n")
    secret_file.chmod(0o600)
    with (
        ScriptedAmi(secret=SECRET, sessions=[answered_inbound()]).serving() as ami,
        RecordingDesk().serving() as desk,
    ):
        bridge = subprocess.Popen(
            [
                *(sys.executable, "-m", "netdesk.cli", "ami_bridge", "--ami-user", "netdesk"),
                *("--ami-port", str(ami.port), "--ami-secret-file", str(secret_file)),
                *("--cti-url", desk.url()),
            ],
            env={**os.environ, "NETDESK_DATABASE_URL": ""},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while len(desk.posts) < 3 and time.monotonic() < deadline and bridge.poll() is None:
            time.sleep(0.05)
        bridge.send_signal(signal.SIGTERM)
        out, err = bridge.communicate(timeout=20)

    assert bridge.returncode == 0, err
    assert [p["event"] for p in desk.posts] == ["newCall", "answer", "hangup"]
    assert "ami_bridge stopped: 3 posted, 0 refused" in out
    assert "signed in to Asterisk's AMI" in err
    assert SECRET not in out + err
    assert "SECRETPART" not in out + err

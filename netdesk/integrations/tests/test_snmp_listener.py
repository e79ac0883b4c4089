"""The SNMP trap listener on 127.0.0.1 with real traps sent by pysnmp (v1, v2c,
v3 authPriv SHA/AES, informs), wrong credentials, garbage datagrams, the
`netdesk listen snmp` command under SIGTERM, and a linkDown/linkUp pair
ending in one cleared Alarm row."""

# v1, v2c and weak v3 levels are what these tests exercise (and refuse).
# ruff: noqa: S508, S509

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from pyasn1.codec.ber import encoder
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    NotificationType,
    ObjectIdentity,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    send_notification,
    usmAesCfb128Protocol,
    usmHMACSHAAuthProtocol,
)
from pysnmp.proto import api
from pysnmp.proto.rfc1902 import Integer, OctetString, TimeTicks

from netdesk.integrations.intake import NocIntakeSink
from netdesk.integrations.snmp.credentials import SnmpCredentials, V3User
from netdesk.integrations.snmp.receiver import SnmpTrapListener
from netdesk.integrations.tests.listening import (
    ListenCommand,
    ListenerThread,
    RecordingSink,
    wait_until,
)
from netdesk.noc.models import Alarm, AlarmState

HOST = "127.0.0.1"
COMMUNITY = "noc-community-42"
USER, AUTH_KEY, PRIV_KEY = "netdesk-noc", "auth-key-for-tests", "priv-key-for-tests"
LINK_DOWN, LINK_UP = "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.6.3.1.1.5.4"
# Each sender is an SNMP engine of its own, as each device is.
AGENT_A, AGENT_B, AGENT_C = "8000000001020304", "8000000001020305", "8000000001020306"


def v3(auth_key: str | None = AUTH_KEY, priv_key: str | None = PRIV_KEY, user: str = USER) -> Any:
    if auth_key is None:
        return UsmUserData(user)
    return UsmUserData(
        user,
        auth_key,
        priv_key,
        authProtocol=usmHMACSHAAuthProtocol,
        privProtocol=usmAesCfb128Protocol if priv_key else None,
    )


def interface_varbinds(if_index: int, admin: int = 1, oper: int = 2) -> list[tuple[str, Any]]:
    return [
        (f"1.3.6.1.2.1.2.2.1.1.{if_index}", Integer(if_index)),
        (f"1.3.6.1.2.1.2.2.1.7.{if_index}", Integer(admin)),
        (f"1.3.6.1.2.1.2.2.1.8.{if_index}", Integer(oper)),
        (f"1.3.6.1.2.1.31.1.1.1.1.{if_index}", OctetString(f"Gi0/{if_index}")),
    ]


def send(
    port: int,
    auth: Any,
    trap_oid: str = LINK_DOWN,
    varbinds: list[tuple[str, Any]] | None = None,
    *,
    engine_id: str = AGENT_A,
    kind: str = "trap",
) -> Any:
    """Send one notification with a fresh pysnmp engine; the error
    indication for an inform (None: acknowledged), None for a trap."""

    async def _send() -> Any:
        engine = SnmpEngine(OctetString(hexValue=engine_id))
        try:
            target = await UdpTransportTarget.create((HOST, port), timeout=2, retries=1)
            notification = NotificationType(ObjectIdentity(trap_oid)).add_varbinds(
                *(varbinds if varbinds is not None else interface_varbinds(7))
            )
            error, _status, _index, _varbinds = await send_notification(
                engine, auth, target, ContextData(), kind, notification
            )
            return error
        finally:
            engine.close_dispatcher()

    return asyncio.run(asyncio.wait_for(_send(), timeout=15))


def raw_v2c(community: str, varbinds: list[tuple[str, Any]], *, pdu_type: str = "trap") -> bytes:
    """An SNMPv2c message built by hand, for what pysnmp's senders will not send."""
    module = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    if pdu_type == "trap":
        pdu = module.SNMPv2TrapPDU()
        module.apiTrapPDU.set_defaults(pdu)
        module.apiTrapPDU.set_varbinds(pdu, varbinds)
    else:
        pdu = module.GetRequestPDU()
        module.apiPDU.set_defaults(pdu)
        module.apiPDU.set_varbinds(pdu, varbinds)
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, community)
    module.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


def send_udp(port: int, datagram: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(datagram, (HOST, port))


CREDENTIALS = SnmpCredentials(
    communities=(COMMUNITY,),
    v3_user=V3User(USER, "SHA", AUTH_KEY, "AES", PRIV_KEY),
)


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def running(sink: RecordingSink) -> Iterator[ListenerThread]:
    listener = SnmpTrapListener(
        sink=sink, credentials=CREDENTIALS, host=HOST, port=0, flush_interval=0.05
    )
    with ListenerThread(listener) as thread:
        yield thread


def test_v2c_trap(running: ListenerThread, sink: RecordingSink) -> None:
    send(running.port(), CommunityData(COMMUNITY, mpModel=1))
    wait_until(lambda: len(sink.alarms) == 1, what="the trap")
    [alarm] = sink.alarms
    assert (alarm.source, alarm.name, alarm.firing, alarm.severity) == ("snmp", "linkDown", True, 2)
    assert alarm.element_ref == HOST
    assert alarm.fingerprint == f"snmp:{HOST}:7:link"
    assert alarm.labels["version"] == "v2c"
    assert alarm.labels["ifName"] == "Gi0/7"
    assert running.stats.received == running.stats.accepted == 1


def test_v1_trap(running: ListenerThread, sink: RecordingSink) -> None:
    send(running.port(), CommunityData(COMMUNITY, mpModel=0), LINK_UP)
    wait_until(lambda: len(sink.alarms) == 1, what="the trap")
    [alarm] = sink.alarms
    assert (alarm.name, alarm.firing, alarm.labels["version"]) == ("linkUp", False, "v1")
    assert alarm.fingerprint == f"snmp:{HOST}:7:link"
    assert COMMUNITY not in json.dumps(alarm.labels) + alarm.summary


def test_v3_auth_priv_traps_from_two_agents(running: ListenerThread, sink: RecordingSink) -> None:
    port = running.port()
    send(port, v3(), LINK_DOWN, engine_id=AGENT_A)
    send(port, v3(), LINK_UP, engine_id=AGENT_A)  # an engine already learned
    send(port, v3(), LINK_DOWN, interface_varbinds(9), engine_id=AGENT_B)
    wait_until(lambda: len(sink.alarms) == 3, what="three traps")
    first, second, third = sink.alarms
    assert [a.name for a in sink.alarms] == ["linkDown", "linkUp", "linkDown"]
    assert first.labels["version"] == "v3"
    assert first.labels["engine_id"] == AGENT_A
    assert first.fingerprint == second.fingerprint == f"snmp:{HOST}:7:link"
    assert third.fingerprint == f"snmp:{HOST}:9:link"
    assert USER not in json.dumps(first.labels)
    assert running.stats.rejected == {}


def test_informs_are_acknowledged(running: ListenerThread, sink: RecordingSink) -> None:
    port = running.port()
    assert send(port, CommunityData(COMMUNITY, mpModel=1), kind="inform") is None
    assert send(port, v3(), kind="inform", engine_id=AGENT_C) is None
    wait_until(lambda: len(sink.alarms) == 2, what="two informs")


def test_wrong_credentials_are_refused_and_counted(
    running: ListenerThread, sink: RecordingSink
) -> None:
    port = running.port()
    send(port, CommunityData("wrong-community", mpModel=1))
    send(port, v3(auth_key="not-the-auth-key"), engine_id=AGENT_B)
    send(port, v3(priv_key="not-the-priv-key"), engine_id=AGENT_B)
    send(port, v3(user="someone-else"), engine_id=AGENT_B)
    send(port, v3(auth_key=None), engine_id=AGENT_B)  # the right user name alone
    send(port, v3(priv_key=None), engine_id=AGENT_B)  # authNoPriv, where authPriv is required
    wait_until(lambda: sum(running.stats.rejected.values()) == 6, what="six refusals")
    assert running.stats.rejected == {
        "bad community": 1,
        "authentication failed": 1,
        "decryption failed": 1,
        "unknown user": 1,
        "insufficient security level": 2,
    }
    # The agent whose traps failed was not learned: with the right keys it gets in.
    send(port, v3(), engine_id=AGENT_B)
    wait_until(lambda: len(sink.alarms) == 1, what="the good trap after the bad ones")
    wait_until(lambda: len(sink.rejections) == 6, what="refusals recorded")
    recorded = json.dumps(sink.rejections)
    for secret in (COMMUNITY, AUTH_KEY, PRIV_KEY, USER, "not-the-auth-key", "wrong-community"):
        assert secret not in recorded
    assert all(rejection["excerpt"] == "" for rejection in sink.rejections)


def test_garbage_and_odd_datagrams(running: ListenerThread, sink: RecordingSink) -> None:
    port = running.port()
    send_udp(port, b"\x00\x01garbage\xff")
    send_udp(port, b"")
    send_udp(port, b"\x30\x82\xff\xff\x02\x01")  # a BER header promising more than is there
    uptime = ("1.3.6.1.2.1.1.3.0", TimeTicks(5))
    send_udp(port, raw_v2c(COMMUNITY, [uptime]))  # a trap without snmpTrapOID
    send_udp(port, raw_v2c(COMMUNITY, [("1.3.6.1.2.1.1.5.0", api.v2c.Null())], pdu_type="get"))
    wait_until(lambda: sum(running.stats.rejected.values()) == 5, what="five refusals")
    assert running.stats.rejected == {
        "malformed": 3,
        "missing snmpTrapOID": 1,
        "not a notification": 1,
    }
    send(port, CommunityData(COMMUNITY, mpModel=1))
    wait_until(lambda: len(sink.alarms) == 1, what="the trap after the garbage")


def test_v1_v2c_can_be_turned_off(sink: RecordingSink) -> None:
    credentials = SnmpCredentials(communities=(), v3_user=CREDENTIALS.v3_user)
    listener = SnmpTrapListener(
        sink=sink, credentials=credentials, host=HOST, port=0, flush_interval=0.05
    )
    with ListenerThread(listener) as running:
        send(running.port(), CommunityData("public", mpModel=1))
        send(running.port(), v3())
        wait_until(lambda: len(sink.alarms) == 1)
        wait_until(lambda: running.stats.rejected == {"bad community": 1})


def test_listen_snmp_command_takes_credentials_from_the_environment() -> None:
    env = {
        "NETDESK_SNMP_COMMUNITY": COMMUNITY,
        "NETDESK_SNMP_V3_USER": USER,
        "NETDESK_SNMP_V3_AUTH_KEY": AUTH_KEY,
        "NETDESK_SNMP_V3_PRIV_KEY": PRIV_KEY,
    }
    command = ListenCommand("snmp", "--host", HOST, "--port", "0", "--dry-run", env=env)
    try:
        port = command.wait_for_ports(["udp"])["udp"]
        send(port, CommunityData(COMMUNITY, mpModel=1))
        send(port, v3(), LINK_UP)
        send(port, CommunityData("wrong-community", mpModel=1))
        send_udp(port, b"garbage")
        wait_until(
            lambda: sum('"source": "snmp"' in line for line in command.output) == 2,
            timeout=20,
            what="two alarms printed",
        )
    finally:
        output = command.terminate()
    assert command.process.returncode == 0, output
    assert "v3: one user, authPriv (SHA/AES)" in output
    assert (
        "snmp listener stopped: received 4, accepted 2, filtered 0, "
        "rejected 2 (bad community: 1, malformed: 1)" in output
    )
    for secret in (COMMUNITY, USER, AUTH_KEY, PRIV_KEY):
        assert secret not in output
    printed = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert [alarm["name"] for alarm in printed] == ["linkDown", "linkUp"]


@pytest.mark.skipif(shutil.which("snmptrap") is None, reason="net-snmp's snmptrap is not installed")
def test_net_snmp_snmptrap_v2c_and_v3(running: ListenerThread, sink: RecordingSink) -> None:
    port = running.port()
    target = f"udp:{HOST}:{port}"
    v2c = ["snmptrap", "-v", "2c", "-c", COMMUNITY, target, "", LINK_DOWN]
    v2c += ["1.3.6.1.2.1.2.2.1.1.3", "i", "3", "1.3.6.1.2.1.2.2.1.2.3", "s", "eth3"]
    subprocess.run(v2c, check=True, timeout=15, capture_output=True)
    v3_command = ["snmptrap", "-v", "3", "-e", "0x8000000001020399", "-u", USER]
    v3_command += ["-l", "authPriv", "-a", "SHA", "-A", AUTH_KEY, "-x", "AES", "-X", PRIV_KEY]
    v3_command += [target, "", LINK_UP, "1.3.6.1.2.1.2.2.1.1.3", "i", "3"]
    subprocess.run(v3_command, check=True, timeout=15, capture_output=True)
    wait_until(lambda: len(sink.alarms) == 2, what="two traps from snmptrap")
    down, up = sink.alarms
    assert (down.name, up.name) == ("linkDown", "linkUp")
    assert down.fingerprint == up.fingerprint == f"snmp:{HOST}:3:link"
    assert down.labels["ifDescr"] == "eth3"


@pytest.mark.django_db(transaction=True)
def test_link_down_then_up_leaves_one_cleared_alarm() -> None:
    listener = SnmpTrapListener(
        sink=NocIntakeSink(), credentials=CREDENTIALS, host=HOST, port=0, flush_interval=0.05
    )
    with ListenerThread(listener) as running:
        port = running.port()
        send(port, CommunityData(COMMUNITY, mpModel=1), LINK_DOWN, interface_varbinds(5))
        wait_until(lambda: running.stats.ingested == 1, what="the linkDown ingested")
        firing = Alarm.objects.get()
        assert firing.state == AlarmState.FIRING
        assert firing.name == "linkDown"
        send(port, v3(), LINK_UP, interface_varbinds(5, oper=1))
        wait_until(lambda: running.stats.ingested == 2, what="the linkUp ingested")
    alarm = Alarm.objects.get()
    assert alarm.pk == firing.pk
    assert alarm.state == AlarmState.CLEARED
    assert alarm.cleared_at is not None
    assert alarm.fingerprint == f"snmp:{HOST}:5:link"
    assert alarm.source == "snmp"
    assert alarm.element_ref == HOST


def test_no_auth_user_when_that_is_all_that_is_configured(sink: RecordingSink) -> None:
    credentials = SnmpCredentials(communities=(), v3_user=V3User("lab-user"))
    listener = SnmpTrapListener(
        sink=sink, credentials=credentials, host=HOST, port=0, flush_interval=0.05
    )
    with ListenerThread(listener) as running:
        send(running.port(), v3(auth_key=None, user="lab-user"), engine_id=AGENT_A)
        send(running.port(), v3(auth_key=None, user="lab-user"), engine_id=AGENT_B)
        wait_until(lambda: len(sink.alarms) == 2)
        assert running.stats.rejected == {}


def test_port_in_use_is_reported() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind((HOST, 0))
        port = taken.getsockname()[1]
        command = ListenCommand("snmp", "--host", HOST, "--port", str(port))
        output = command.wait()
    assert command.process.returncode == 1
    assert f"snmp: cannot listen on {HOST}" in output

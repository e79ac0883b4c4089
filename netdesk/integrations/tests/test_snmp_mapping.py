"""Trap → alarm mapping and SNMP credentials from the environment. No sockets,
no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from netdesk.integrations.snmp.credentials import SnmpCredentials, V3User
from netdesk.integrations.snmp.mapping import (
    SNMP_TRAP_ADDRESS,
    SNMP_TRAP_COMMUNITY,
    SNMP_TRAP_OID,
    SYS_NAME,
    SYS_UPTIME,
    TrapError,
    TrapIn,
    TrapRule,
    trap_to_alarm,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
LINK_UP = "1.3.6.1.6.3.1.1.5.4"


def trap(trap_oid: str | None, *varbinds: tuple[str, str], peer: str = "192.0.2.1") -> TrapIn:
    head = [(SYS_UPTIME, "12345")]
    if trap_oid is not None:
        head.append((SNMP_TRAP_OID, trap_oid))
    return TrapIn(peer=peer, varbinds=(*head, *varbinds), received_at=NOW, version="v2c")


def link(trap_oid: str, if_index: int, *extra: tuple[str, str], peer: str = "192.0.2.1") -> TrapIn:
    return trap(
        trap_oid,
        (f"1.3.6.1.2.1.2.2.1.1.{if_index}", str(if_index)),
        (f"1.3.6.1.2.1.2.2.1.7.{if_index}", "1"),
        (f"1.3.6.1.2.1.2.2.1.8.{if_index}", "2"),
        *extra,
        peer=peer,
    )


def test_link_down_and_up_share_a_fingerprint_per_interface_and_agent() -> None:
    down = trap_to_alarm(link(LINK_DOWN, 7, ("1.3.6.1.2.1.31.1.1.1.1.7", "Gi0/7")))
    up = trap_to_alarm(link(LINK_UP, 7))
    other_interface = trap_to_alarm(link(LINK_DOWN, 8))
    other_agent = trap_to_alarm(link(LINK_DOWN, 7, peer="192.0.2.2"))
    assert down.fingerprint == up.fingerprint == "snmp:192.0.2.1:7:link"
    assert other_interface.fingerprint == "snmp:192.0.2.1:8:link"
    assert other_agent.fingerprint == "snmp:192.0.2.2:7:link"
    assert (down.name, down.firing, down.severity) == ("linkDown", True, 2)
    assert (up.name, up.firing, up.severity) == ("linkUp", False, 5)
    assert down.source == "snmp"
    assert down.at == NOW
    assert down.labels["ifName"] == "Gi0/7"
    assert down.labels["subject"] == "7"
    assert down.summary.startswith("linkDown Gi0/7 on 192.0.2.1")


def test_interface_found_from_any_interface_column() -> None:
    # Only ifOperStatus is sent: its instance suffix is still the ifIndex.
    down = trap_to_alarm(trap(LINK_DOWN, ("1.3.6.1.2.1.2.2.1.8.42", "2")))
    assert down.fingerprint == "snmp:192.0.2.1:42:link"


def test_link_down_without_interface_still_pairs_by_agent() -> None:
    down, up = trap_to_alarm(trap(LINK_DOWN)), trap_to_alarm(trap(LINK_UP))
    assert down.fingerprint == up.fingerprint == "snmp:192.0.2.1::link"


def test_shut_interface_is_a_warning() -> None:
    down = trap_to_alarm(trap(LINK_DOWN, ("1.3.6.1.2.1.2.2.1.7.3", "2")))
    assert down.severity == 4
    assert down.labels["ifAdminStatus"] == "2"


def test_sysname_names_the_element_but_the_agent_keys_the_fingerprint() -> None:
    down = trap_to_alarm(link(LINK_DOWN, 1, (SYS_NAME, "edge1.example.net")))
    up = trap_to_alarm(link(LINK_UP, 1))
    assert down.element_ref == "edge1.example.net"
    assert up.element_ref == "192.0.2.1"
    assert down.fingerprint == up.fingerprint


def test_trap_address_from_a_proxy_wins_over_the_sender() -> None:
    alarm = trap_to_alarm(link(LINK_DOWN, 1, (SNMP_TRAP_ADDRESS, "198.51.100.9")))
    assert alarm.element_ref == "198.51.100.9"
    assert alarm.fingerprint == "snmp:198.51.100.9:1:link"
    # v1 agents that leave agent-addr empty send 0.0.0.0.
    unset = trap_to_alarm(link(LINK_DOWN, 1, (SNMP_TRAP_ADDRESS, "0.0.0.0")))  # noqa: S104
    assert unset.fingerprint == "snmp:192.0.2.1:1:link"


@pytest.mark.parametrize(
    ("trap_oid", "name", "severity"),
    [
        ("1.3.6.1.6.3.1.1.5.1", "coldStart", 3),
        ("1.3.6.1.6.3.1.1.5.2", "warmStart", 4),
        ("1.3.6.1.6.3.1.1.5.5", "authenticationFailure", 4),
    ],
)
def test_generic_traps(trap_oid: str, name: str, severity: int) -> None:
    alarm = trap_to_alarm(trap(trap_oid))
    assert (alarm.name, alarm.severity, alarm.firing, alarm.fingerprint) == (
        name,
        severity,
        True,
        "",
    )


def test_bgp_backward_transition_is_cleared_by_established() -> None:
    peer_state = "1.3.6.1.2.1.15.3.1.2.203.0.113.5"
    down = trap_to_alarm(trap("1.3.6.1.2.1.15.0.2", (peer_state, "1")))
    up = trap_to_alarm(trap("1.3.6.1.2.1.15.0.1", (peer_state, "6")))
    assert (down.firing, up.firing) == (True, False)
    assert down.fingerprint == up.fingerprint == "snmp:192.0.2.1:203.0.113.5:bgp"


def test_enterprise_trap_is_named_by_its_oid_with_varbinds_as_labels() -> None:
    alarm = trap_to_alarm(
        trap(
            "1.3.6.1.4.1.9.9.41.2.0.1",
            ("1.3.6.1.4.1.9.9.41.1.2.3.1.2.5", "SYS"),
            (SNMP_TRAP_COMMUNITY, "s3cret"),
        )
    )
    assert alarm.name == "1.3.6.1.4.1.9.9.41.2.0.1"
    assert (alarm.severity, alarm.firing, alarm.fingerprint) == (4, True, "")
    assert alarm.labels["1.3.6.1.4.1.9.9.41.1.2.3.1.2.5"] == "SYS"
    # The community a v1 trap was translated with never leaves the listener.
    assert "s3cret" not in alarm.summary
    assert "s3cret" not in alarm.labels.values()
    assert SNMP_TRAP_COMMUNITY not in alarm.labels


def test_rules_can_be_extended() -> None:
    rules = {
        "1.3.6.1.4.1.99.0.1": TrapRule(
            "psuFailed", 1, topic="psu", subject_columns=("1.3.6.1.4.1.99.1",)
        ),
        "1.3.6.1.4.1.99.0.2": TrapRule(
            "psuOk", 5, firing=False, topic="psu", subject_columns=("1.3.6.1.4.1.99.1",)
        ),
    }
    failed = trap_to_alarm(trap("1.3.6.1.4.1.99.0.1", ("1.3.6.1.4.1.99.1.2", "x")), rules=rules)
    ok = trap_to_alarm(trap("1.3.6.1.4.1.99.0.2", ("1.3.6.1.4.1.99.1.2", "x")), rules=rules)
    assert failed.fingerprint == ok.fingerprint == "snmp:192.0.2.1:2:psu"
    assert (failed.severity, ok.firing) == (1, False)


def test_notification_without_trap_oid_is_refused() -> None:
    with pytest.raises(TrapError) as caught:
        trap_to_alarm(trap(None))
    assert caught.value.reason == "missing snmpTrapOID"
    with pytest.raises(TrapError) as caught:
        trap_to_alarm(trap("not an oid"))
    assert caught.value.reason == "bad snmpTrapOID"


def test_many_varbinds_are_capped() -> None:
    varbinds = [(f"1.3.6.1.4.1.99.2.{n}", "v" * 500) for n in range(100)]
    alarm = trap_to_alarm(trap("1.3.6.1.4.1.99.0.9", *varbinds))
    assert len(alarm.labels) <= 40
    assert max(len(value) for value in alarm.labels.values()) <= 200
    assert len(alarm.summary) <= 500


# Credentials ------------------------------------------------------------------------


def test_defaults_without_environment() -> None:
    credentials = SnmpCredentials.from_env({})
    assert credentials.communities == ("public",)
    assert credentials.v3_user is None
    assert credentials.engine_id is None


def test_communities_and_v3_user_from_environment() -> None:
    credentials = SnmpCredentials.from_env(
        {
            "NETDESK_SNMP_COMMUNITY": "alpha, beta,,",
            "NETDESK_SNMP_V3_USER": "noc",
            "NETDESK_SNMP_V3_AUTH_PROTOCOL": "sha-256",
            "NETDESK_SNMP_V3_AUTH_KEY": "authkey-12345",
            "NETDESK_SNMP_V3_PRIV_KEY": "privkey-12345",
            "NETDESK_SNMP_ENGINE_ID": "0x80001f8804616263",
        }
    )
    assert credentials.communities == ("alpha", "beta")
    assert credentials.v3_user == V3User("noc", "SHA256", "authkey-12345", "AES", "privkey-12345")
    assert credentials.v3_user.level_name == "authPriv"
    assert credentials.engine_id == bytes.fromhex("80001f8804616263")


def test_empty_community_turns_v1_v2c_off() -> None:
    assert SnmpCredentials.from_env({"NETDESK_SNMP_COMMUNITY": ""}).communities == ()


def test_secrets_stay_out_of_repr() -> None:
    credentials = SnmpCredentials.from_env(
        {
            "NETDESK_SNMP_COMMUNITY": "community-secret",
            "NETDESK_SNMP_V3_USER": "noc",
            "NETDESK_SNMP_V3_AUTH_KEY": "auth-secret-1",
            "NETDESK_SNMP_V3_PRIV_KEY": "priv-secret-1",
        }
    )
    text = repr(credentials)
    for secret in ("community-secret", "auth-secret-1", "priv-secret-1"):
        assert secret not in text


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"NETDESK_SNMP_V3_AUTH_KEY": "12345678"}, "NETDESK_SNMP_V3_USER"),
        (
            {"NETDESK_SNMP_V3_USER": "u", "NETDESK_SNMP_V3_PRIV_KEY": "12345678"},
            "NETDESK_SNMP_V3_AUTH_KEY",
        ),
        (
            {"NETDESK_SNMP_V3_USER": "u", "NETDESK_SNMP_V3_AUTH_KEY": "k3y"},
            "NETDESK_SNMP_V3_AUTH_KEY",
        ),
        (
            {
                "NETDESK_SNMP_V3_USER": "u",
                "NETDESK_SNMP_V3_AUTH_KEY": "12345678",
                "NETDESK_SNMP_V3_AUTH_PROTOCOL": "CRC32",
            },
            "NETDESK_SNMP_V3_AUTH_PROTOCOL",
        ),
        ({"NETDESK_SNMP_ENGINE_ID": "xyz"}, "NETDESK_SNMP_ENGINE_ID"),
        ({"NETDESK_SNMP_ENGINE_ID": "0102"}, "NETDESK_SNMP_ENGINE_ID"),
    ],
)
def test_bad_settings_fail_fast_naming_the_variable_not_the_secret(
    environ: dict[str, str], names: str
) -> None:
    with pytest.raises(ImproperlyConfigured) as caught:
        SnmpCredentials.from_env(environ)
    assert names in str(caught.value)
    if "NETDESK_SNMP_V3_AUTH_KEY" in environ:
        assert environ["NETDESK_SNMP_V3_AUTH_KEY"] not in str(caught.value)

"""SNMP credentials, read from environment variables only: never from the
command line (visible to every local user in the process list), never logged
(the fields holding secrets stay out of repr)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured

ENV_COMMUNITY = "NETDESK_SNMP_COMMUNITY"
ENV_V3_USER = "NETDESK_SNMP_V3_USER"
ENV_V3_AUTH_PROTOCOL = "NETDESK_SNMP_V3_AUTH_PROTOCOL"
ENV_V3_AUTH_KEY = "NETDESK_SNMP_V3_AUTH_KEY"
ENV_V3_PRIV_PROTOCOL = "NETDESK_SNMP_V3_PRIV_PROTOCOL"
ENV_V3_PRIV_KEY = "NETDESK_SNMP_V3_PRIV_KEY"
ENV_ENGINE_ID = "NETDESK_SNMP_ENGINE_ID"

DEFAULT_COMMUNITY = "public"
AUTH_PROTOCOLS = ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512")
# AES192/AES256 extend keys as in draft-blumenthal-aes-usm (net-snmp's
# AES-192/AES-256); AES192C/AES256C as Cisco does (Reeder).
PRIV_PROTOCOLS = ("DES", "3DES", "AES", "AES192", "AES256", "AES192C", "AES256C")
KEY_MIN_LENGTH = 8  # RFC 3414 11.2: shorter pass phrases are refused


@dataclass(frozen=True)
class V3User:
    """The SNMPv3 user that traps must come from."""

    name: str
    auth_protocol: str = ""  # empty: noAuthNoPriv
    auth_key: str = field(default="", repr=False)
    priv_protocol: str = ""  # empty: no privacy
    priv_key: str = field(default="", repr=False)

    @property
    def security_level(self) -> int:
        """The least level a trap from this user must have (1 noAuthNoPriv,
        2 authNoPriv, 3 authPriv): a trap below it is refused, so knowing the
        user name alone never gets a trap in."""
        if self.priv_key:
            return 3
        return 2 if self.auth_key else 1

    @property
    def level_name(self) -> str:
        return {1: "noAuthNoPriv", 2: "authNoPriv", 3: "authPriv"}[self.security_level]


@dataclass(frozen=True)
class SnmpCredentials:
    """Communities accepted from SNMPv1/v2c agents, and the SNMPv3 user."""

    communities: tuple[str, ...] = field(default=(DEFAULT_COMMUNITY,), repr=False)
    v3_user: V3User | None = None
    engine_id: bytes | None = None  # this receiver's own engine id (for informs)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SnmpCredentials:
        env = os.environ if environ is None else environ
        raw_communities = env.get(ENV_COMMUNITY)
        if raw_communities is None:
            communities: tuple[str, ...] = (DEFAULT_COMMUNITY,)
        else:
            communities = tuple(part.strip() for part in raw_communities.split(",") if part.strip())
        return cls(
            communities=communities,
            v3_user=_v3_user(env),
            engine_id=_engine_id(env.get(ENV_ENGINE_ID, "").strip()),
        )


def _v3_user(env: Mapping[str, str]) -> V3User | None:
    name = env.get(ENV_V3_USER, "").strip()
    auth_key = env.get(ENV_V3_AUTH_KEY, "")
    priv_key = env.get(ENV_V3_PRIV_KEY, "")
    if not name:
        if auth_key or priv_key:
            raise ImproperlyConfigured(
                f"{ENV_V3_AUTH_KEY}/{ENV_V3_PRIV_KEY} are set but {ENV_V3_USER} is not; "
                "set the SNMPv3 user name too"
            )
        return None
    if priv_key and not auth_key:
        raise ImproperlyConfigured(
            f"{ENV_V3_PRIV_KEY} is set without {ENV_V3_AUTH_KEY}: SNMPv3 privacy needs "
            "authentication (authPriv)"
        )
    for variable, key in ((ENV_V3_AUTH_KEY, auth_key), (ENV_V3_PRIV_KEY, priv_key)):
        if key and len(key) < KEY_MIN_LENGTH:
            raise ImproperlyConfigured(
                f"{variable} is too short: SNMPv3 keys have at least {KEY_MIN_LENGTH} characters"
            )
    auth_protocol = priv_protocol = ""
    if auth_key:
        auth_protocol = _choice(env, ENV_V3_AUTH_PROTOCOL, "SHA", AUTH_PROTOCOLS)
    if priv_key:
        priv_protocol = _choice(env, ENV_V3_PRIV_PROTOCOL, "AES", PRIV_PROTOCOLS)
    return V3User(
        name=name,
        auth_protocol=auth_protocol,
        auth_key=auth_key,
        priv_protocol=priv_protocol,
        priv_key=priv_key,
    )


def _choice(env: Mapping[str, str], variable: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(variable, "").strip().upper().replace("-", "") or default
    if value not in choices:
        raise ImproperlyConfigured(
            f"{variable}={value!r} is not supported; use one of {', '.join(choices)}"
        )
    return value


def _engine_id(text: str) -> bytes | None:
    if not text:
        return None
    digits = text.removeprefix("0x").removeprefix("0X").replace(":", "")
    try:
        engine_id = bytes.fromhex(digits)
    except ValueError:
        engine_id = b""
    if not 5 <= len(engine_id) <= 32:
        raise ImproperlyConfigured(
            f"{ENV_ENGINE_ID}={text!r} is not an SNMP engine id: give 5 to 32 octets in hex, "
            "e.g. 80001f88046e65746465736b"
        )
    return engine_id

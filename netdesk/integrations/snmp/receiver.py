"""The SNMP trap listener: a pysnmp engine on asyncio that authenticates
v1/v2c traps by community and v3 traps by user (USM), and hands each accepted
notification to the trap mapping and the batcher.

pysnmp processes a datagram synchronously and drops what it refuses, counting
the refusal in its MIB counters (snmpInBadCommunityNames, usmStatsWrongDigests
…). The listener hands each datagram to pysnmp itself and compares those
counters before and after, so every refusal gets its reason, counted and
recorded, without a second parser."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pyasn1.codec.ber import decoder as ber_decoder
from pyasn1.error import PyAsn1Error
from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import ntfrcv
from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message
from pysnmp.proto.rfc1902 import OctetString
from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

from netdesk.core.text import replace_unstorable
from netdesk.integrations.intake import AlarmBatcher, IntakeSink, ListenerStats
from netdesk.integrations.snmp.credentials import SnmpCredentials, V3User
from netdesk.integrations.snmp.mapping import TrapError, TrapIn, TrapRule, trap_to_alarm
from netdesk.noc.models.alarms import AlarmSource

logger = logging.getLogger(__name__)

_AUTH = {
    "MD5": config.USM_AUTH_HMAC96_MD5,
    "SHA": config.USM_AUTH_HMAC96_SHA,
    "SHA224": config.USM_AUTH_HMAC128_SHA224,
    "SHA256": config.USM_AUTH_HMAC192_SHA256,
    "SHA384": config.USM_AUTH_HMAC256_SHA384,
    "SHA512": config.USM_AUTH_HMAC384_SHA512,
}
_PRIV = {
    "DES": config.USM_PRIV_CBC56_DES,
    "3DES": config.USM_PRIV_CBC168_3DES,
    "AES": config.USM_PRIV_CFB128_AES,
    "AES192": config.USM_PRIV_CFB192_AES_BLUMENTHAL,
    "AES256": config.USM_PRIV_CFB256_AES_BLUMENTHAL,
    "AES192C": config.USM_PRIV_CFB192_AES,
    "AES256C": config.USM_PRIV_CFB256_AES,
}
# A noAuthNoPriv user has no keys to localise, so one entry under pysnmp's
# wildcard engine id serves every agent.
_WILDCARD_ENGINE_ID = OctetString(hexValue="0000000000")

# pysnmp's counters of refused input, and the reason each one stands for.
_REFUSAL_COUNTERS = (
    ("__SNMPv2-MIB", "snmpInASNParseErrs", "malformed"),
    ("__SNMPv2-MIB", "snmpInBadVersions", "unsupported version"),
    ("__SNMPv2-MIB", "snmpInBadCommunityNames", "bad community"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnknownUserNames", "unknown user"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsWrongDigests", "authentication failed"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsDecryptionErrors", "decryption failed"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnsupportedSecLevels", "unsupported security level"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsNotInTimeWindows", "not in time window"),
    ("__SNMP-MPD-MIB", "snmpUnknownSecurityModels", "unknown security model"),
    ("__SNMP-MPD-MIB", "snmpInvalidMsgs", "invalid message"),
    ("__SNMP-MPD-MIB", "snmpUnknownPDUHandlers", "not a notification"),
    ("__SNMPv2-MIB", "snmpInGenErrs", "invalid message"),
)
# An SNMPv3 sender learning this receiver's engine id (before an inform): a
# normal step, not a refusal.
_DISCOVERY_COUNTER = ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnknownEngineIDs")
_VERSIONS = {0: "v1", 1: "v2c", 3: "v3"}


@dataclass
class _Inbound:
    """The datagram pysnmp is processing right now."""

    peer: str
    context: dict[str, Any] = field(default_factory=dict)
    notified: bool = False  # reached the notification receiver
    accepted: bool = False


def _deliver(listener: SnmpTrapListener, transport: Any, datagram: bytes, address: Any) -> None:
    try:
        listener.handle_datagram(transport, datagram, address)
    except Exception:
        # One datagram, however strange, must not stop the listener.
        logger.exception("snmp: could not handle a datagram from %s", address)


class _TrapTransport(udp.UdpAsyncioTransport):
    """pysnmp's UDP transport, except that it hands each datagram to the
    listener at once instead of scheduling pysnmp's callback for later."""

    listener: SnmpTrapListener

    def datagram_received(self, datagram: bytes, transportAddress: Any) -> None:
        _deliver(self.listener, self, datagram, transportAddress)


class _TrapTransport6(udp6.Udp6AsyncioTransport):
    listener: SnmpTrapListener

    def datagram_received(self, datagram: bytes, transportAddress: Any) -> None:
        _deliver(self.listener, self, datagram, transportAddress)


class SnmpTrapListener:
    """Receives SNMP notifications (traps and informs) on one UDP port. A port
    of 0 picks a free one; `addresses` says where it listens once started."""

    def __init__(
        self,
        *,
        sink: IntakeSink,
        credentials: SnmpCredentials,
        host: str = "127.0.0.1",
        port: int = 1162,
        rules: dict[str, TrapRule] | None = None,
        flush_interval: float = 0.5,
        batch_size: int = 500,
    ) -> None:
        self.host = host
        self.port = port
        self.credentials = credentials
        self.rules = rules
        self.stats = ListenerStats()
        self.batcher = AlarmBatcher(
            sink=sink,
            stats=self.stats,
            source=AlarmSource.SNMP.value,
            flush_interval=flush_interval,
            batch_size=batch_size,
        )
        self.addresses: dict[str, tuple[str, int]] = {}
        self._engine: Any = None
        self._current: _Inbound | None = None
        self._counters: list[tuple[str, Any]] = []
        self._discovery: Any = None
        # Agents' engine ids whose traps authenticated (see _learn_engine).
        self._known_engines: set[bytes] = set()
        self._master_keys: tuple[Any, Any] = (None, None)

    # Life cycle -------------------------------------------------------------

    async def start(self) -> None:
        ipv6 = ":" in self.host
        sock = socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.addresses["udp"] = sock.getsockname()[:2]
        engine_id = self.credentials.engine_id
        snmp_engine = engine.SnmpEngine(OctetString(engine_id) if engine_id else None)
        self._engine = snmp_engine
        transport = (_TrapTransport6 if ipv6 else _TrapTransport)()
        transport.listener = self
        config.add_transport(
            snmp_engine,
            udp6.DOMAIN_NAME if ipv6 else udp.DOMAIN_NAME,
            transport.open_server_mode(sock=sock),
        )
        for index, community in enumerate(self.credentials.communities, 1):
            config.add_v1_system(snmp_engine, f"community-{index}", community)
        if self.credentials.v3_user is not None:
            self._add_v3_user(self.credentials.v3_user)
        snmp_engine.observer.register_observer(
            self._observe_request, "rfc3412.receiveMessage:request"
        )
        ntfrcv.NotificationReceiver(snmp_engine, self._on_notification)
        mib = snmp_engine.get_mib_builder()
        self._counters = [
            (reason, mib.import_symbols(module, name)[0])
            for module, name, reason in _REFUSAL_COUNTERS
        ]
        self._discovery = mib.import_symbols(*_DISCOVERY_COUNTER)[0]
        self.batcher.start()

    async def stop(self) -> None:
        if self._engine is not None:
            self._engine.close_dispatcher()
        await self.batcher.close()

    def _add_v3_user(self, user: V3User) -> None:
        if user.security_level == 1:
            config.add_v3_user(self._engine, user.name, securityEngineId=_WILDCARD_ENGINE_ID)
            return
        auth = _AUTH[user.auth_protocol]
        priv = _PRIV[user.priv_protocol] if user.priv_key else config.USM_PRIV_NONE
        # Keys are hashed from the pass phrases once; each agent's engine id
        # then only costs a localisation (RFC 3414 A.2), which is cheap.
        master_auth = config.AUTH_SERVICES[auth].hash_passphrase(user.auth_key.encode())
        master_priv = (
            config.PRIV_SERVICES[priv].hash_passphrase(auth, user.priv_key.encode())
            if user.priv_key
            else None
        )
        self._master_keys = (master_auth, master_priv)
        # Under this receiver's own engine id: for informs, where we are the
        # authoritative side.
        self._register_user(None)

    def _register_user(self, engine_id: bytes | None) -> None:
        user = self.credentials.v3_user
        assert user is not None
        assert user.auth_key
        auth = _AUTH[user.auth_protocol]
        priv = _PRIV[user.priv_protocol] if user.priv_key else config.USM_PRIV_NONE
        master_auth, master_priv = self._master_keys
        config.add_v3_user(
            self._engine,
            user.name,
            auth,
            master_auth,
            priv,
            master_priv,
            securityEngineId=OctetString(engine_id) if engine_id else None,
            authKeyType=config.USM_KEY_TYPE_MASTER,
            privKeyType=config.USM_KEY_TYPE_MASTER,
        )

    def _forget_user(self, engine_id: bytes) -> None:
        user = self.credentials.v3_user
        assert user is not None
        mib = self._engine.get_mib_builder()
        (user_entry,) = mib.import_symbols("SNMP-USER-BASED-SM-MIB", "usmUserEntry")
        index = user_entry.getInstIdFromIndices(OctetString(engine_id), user.name)
        self._engine.message_dispatcher.mib_instrum_controller.write_variables(
            # usmUserStatus; the name is a pyasn1 OID, which must stay one.
            (user_entry.name + (13,) + index, "destroy"),  # noqa: RUF005
            snmpEngine=self._engine,
        )

    # Per datagram -------------------------------------------------------------

    def handle_datagram(self, transport: Any, datagram: bytes, address: Any) -> None:
        """Let pysnmp process one datagram now, then account for the outcome."""
        peer = str(address[0])
        self.stats.received += 1
        inbound = self._current = _Inbound(peer=peer)
        before = [int(counter.syntax) for _reason, counter in self._counters]
        discovery_before = int(self._discovery.syntax)
        learning = self._learn_engine(datagram)
        failure = ""
        try:
            transport._callback_function(transport, address, datagram)
        except Exception as exc:
            # pysnmp gives up on some garbage with TypeError and the like rather
            # than its own errors; whatever it raises, the datagram is unusable.
            logger.debug("snmp: pysnmp could not process a datagram", exc_info=True)
            failure = type(exc).__name__
        finally:
            self._current = None
        if learning is not None:
            if inbound.accepted:
                self._known_engines.add(learning)
            else:
                self._forget_user(learning)
        if inbound.notified:
            return
        if int(self._discovery.syntax) > discovery_before:
            self.stats.filtered += 1
            return
        reason = "malformed" if failure else "dropped"
        for (candidate, counter), value in zip(self._counters, before, strict=True):
            if int(counter.syntax) > value:
                reason = candidate
                break
        # No bytes of the datagram are kept: a v1/v2c message carries its
        # community in clear, even one refused for another reason.
        self.batcher.reject(reason=reason, detail=_describe(datagram, reason, failure), peer=peer)

    def _learn_engine(self, datagram: bytes) -> bytes | None:
        """An SNMPv3 trap is authenticated with keys localised to the sending
        agent's engine id, which we cannot know in advance. When our user's
        trap comes from an engine we have not seen, register the user for that
        engine just for this datagram; keep it only if the trap authenticates.
        Returns the engine id registered, if any."""
        user = self.credentials.v3_user
        if user is None or user.security_level == 1:
            return None
        header = _usm_header(datagram)
        if header is None:
            return None
        engine_id, user_name = header
        if (
            user_name != user.name.encode()
            or not 5 <= len(engine_id) <= 32
            or engine_id in self._known_engines
            or engine_id == bytes(self._engine.snmpEngineID)
        ):
            return None
        self._register_user(engine_id)
        return engine_id

    # pysnmp's observer signature
    def _observe_request(
        self,
        snmp_engine: Any,  # noqa: ARG002
        execpoint: str,  # noqa: ARG002
        variables: dict[str, Any],
        cb_ctx: Any,  # noqa: ARG002
    ) -> None:
        if self._current is not None:
            self._current.context = dict(variables)

    # pysnmp's notification callback signature
    def _on_notification(
        self,
        snmp_engine: Any,  # noqa: ARG002
        state_reference: Any,  # noqa: ARG002
        context_engine_id: Any,
        context_name: Any,  # noqa: ARG002
        var_binds: Any,
        cb_ctx: Any,  # noqa: ARG002
    ) -> None:
        inbound = self._current
        if inbound is None:
            return
        inbound.notified = True
        try:
            self._accept(inbound, context_engine_id, var_binds)
        except Exception as exc:
            logger.exception("snmp: could not handle a notification from %s", inbound.peer)
            self.batcher.reject(
                reason="internal error", detail=type(exc).__name__, peer=inbound.peer
            )

    def _accept(self, inbound: _Inbound, context_engine_id: Any, var_binds: Any) -> None:
        context = inbound.context
        version = _VERSIONS.get(int(context.get("messageProcessingModel", -1)), "unknown")
        user = self.credentials.v3_user
        if version == "v3":
            level = int(context.get("securityLevel", 0))
            required = user.security_level if user is not None else 3
            if level < required:
                self.batcher.reject(
                    reason="insufficient security level",
                    detail=f"SNMPv3 security level {level}, at least {required} required",
                    peer=inbound.peer,
                )
                return
        trap = TrapIn(
            peer=inbound.peer,
            varbinds=tuple((str(oid), _render(value)) for oid, value in var_binds),
            received_at=datetime.now(UTC),
            version=version,
            engine_id=bytes(context_engine_id).hex() if version == "v3" else "",
        )
        try:
            alarm = trap_to_alarm(trap, rules=self.rules)
        except TrapError as exc:
            self.batcher.reject(reason=exc.reason, detail=exc.detail, peer=inbound.peer)
            return
        inbound.accepted = True
        self.batcher.submit(alarm)


def _render(value: Any) -> str:
    try:
        text = str(value.prettyPrint())
    except Exception:
        text = repr(value)
    # pysnmp shows an octet string with NUL bytes in hex; should any other
    # value carry one, it is replaced rather than costing the alarm.
    return replace_unstorable(text)[0]


def _usm_header(datagram: bytes) -> tuple[bytes, bytes] | None:
    """(authoritative engine id, user name) of an SNMPv3 USM message, read
    without decrypting or authenticating anything; None for anything else."""
    try:
        message, _rest = ber_decoder.decode(datagram, asn1Spec=SNMPv3Message())
        if int(message["msgVersion"]) != 3:
            return None
        if int(message["msgGlobalData"]["msgSecurityModel"]) != 3:
            return None
        params, _rest = ber_decoder.decode(
            bytes(message["msgSecurityParameters"]), asn1Spec=UsmSecurityParameters()
        )
        return bytes(params["msgAuthoritativeEngineId"]), bytes(params["msgUserName"])
    except (PyAsn1Error, ValueError, TypeError, KeyError):
        return None


def _describe(datagram: bytes, reason: str, failure: str) -> str:
    if reason in ("malformed", "unsupported version"):
        because = f" ({failure})" if failure else ""
        return f"{len(datagram)} octets that are not an SNMP message{because}"
    header = _usm_header(datagram)
    if header is not None:
        # The user name is part of the credentials: it stays out of the record.
        engine_id, _user_name = header
        return f"SNMPv3 from engine id {engine_id.hex() or '(none)'}"
    return ""

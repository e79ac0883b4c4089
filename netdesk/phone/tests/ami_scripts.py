"""Stand-ins for the bridge's tests: a scripted Asterisk manager interface
(AMI) on 127.0.0.1 that plays recorded-looking call events, a small HTTP
server that records what the bridge posts, and the event sequences of an
answered, a missed, a busy, an abandoned and an outbound call."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

BANNER = b"Asterisk Call Manager/5.0.1\r\n"
TRUNK = "PJSIP/provider-0000{:04x}"


def ami_message(fields: dict[str, str]) -> bytes:
    return "".join(f"{key}: {value}\r\n" for key, value in fields.items()).encode() + b"\r\n"


def _channel(event: str, channel: str, unique_id: str, linked_id: str, **extra: str):
    return {
        "Event": event,
        "Privilege": "call,all",
        "Channel": channel,
        "Uniqueid": unique_id,
        "Linkedid": linked_id,
        **extra,
    }


def call_events(
    *,
    linked_id: str,
    caller: str,
    callee: str,
    caller_number: str,
    dialled: str,
    dial_status: str,
    caller_cause: str = "16",
    queue: str = "",
) -> list[dict[str, str]]:
    """One call as Asterisk 13+ reports it: the caller's channel, the rung
    channel, the dial's end, both in a bridge when answered, both hung up."""
    rung_id = linked_id.rsplit(".", 1)[0] + "." + str(int(linked_id.rsplit(".", 1)[1]) + 1)
    events = [
        _channel(
            "Newchannel",
            caller,
            linked_id,
            linked_id,
            ChannelState="4",
            ChannelStateDesc="Ring",
            CallerIDNum=caller_number,
            CallerIDName="",
            Context="from-trunk",
            Exten=dialled,
        )
    ]
    if queue:
        events.append(
            _channel("QueueCallerJoin", caller, linked_id, linked_id, Queue=queue, Position="1")
        )
    events += [
        _channel("Newchannel", callee, rung_id, linked_id, ChannelState="0", Exten=""),
        _channel(
            "DialBegin",
            caller,
            linked_id,
            linked_id,
            DestChannel=callee,
            DestUniqueid=rung_id,
            DestLinkedid=linked_id,
        ),
        _channel(
            "DialEnd",
            caller,
            linked_id,
            linked_id,
            DestChannel=callee,
            DestUniqueid=rung_id,
            DialStatus=dial_status,
        ),
    ]
    if dial_status == "ANSWER":
        events += [
            _channel("BridgeEnter", caller, linked_id, linked_id, BridgeNumChannels="1"),
            _channel("BridgeEnter", callee, rung_id, linked_id, BridgeNumChannels="2"),
        ]
    callee_cause = "16" if dial_status in ("ANSWER", "CANCEL") else caller_cause
    events += [
        _channel("Hangup", callee, rung_id, linked_id, Cause=callee_cause),
        _channel("Hangup", caller, linked_id, linked_id, Cause=caller_cause),
    ]
    return events


def answered_inbound(linked_id: str = "1733300000.1") -> list[dict[str, str]]:
    return call_events(
        linked_id=linked_id,
        caller=TRUNK.format(1),
        callee="PJSIP/201-00000002",
        caller_number="+4930111222",
        dialled="4930555000",
        dial_status="ANSWER",
        queue="support",
    )


def missed_inbound(linked_id: str = "1733300010.11") -> list[dict[str, str]]:
    return call_events(
        linked_id=linked_id,
        caller=TRUNK.format(11),
        callee="PJSIP/202-00000012",
        caller_number="+4930333444",
        dialled="4930555000",
        dial_status="NOANSWER",
        caller_cause="19",
    )


def busy_inbound(linked_id: str = "1733300020.21") -> list[dict[str, str]]:
    return call_events(
        linked_id=linked_id,
        caller=TRUNK.format(21),
        callee="PJSIP/201-00000022",
        caller_number="+4930555666",
        dialled="4930555000",
        dial_status="BUSY",
        caller_cause="17",
    )


def abandoned_inbound(linked_id: str = "1733300030.31") -> list[dict[str, str]]:
    return call_events(
        linked_id=linked_id,
        caller=TRUNK.format(31),
        callee="PJSIP/201-00000032",
        caller_number="+4930777888",
        dialled="4930555000",
        dial_status="CANCEL",
    )


def answered_outbound(linked_id: str = "1733300040.41") -> list[dict[str, str]]:
    return call_events(
        linked_id=linked_id,
        caller="PJSIP/202-00000041",
        callee=TRUNK.format(0x42),
        caller_number="202",
        dialled="030123456",
        dial_status="ANSWER",
    )


@dataclass
class ScriptedAmi:
    """An AMI server on 127.0.0.1 in a thread of its own: the banner, Login
    (Success, or Error "Authentication failed" for a wrong secret, then the
    connection closes, as Asterisk does), Ping, then `events` played to
    each session that signs in. `sessions` lists events per connection:
    with several, connection n plays sessions[n] then hangs up, except
    the last, which stays open."""

    secret: str
    sessions: list[list[dict[str, str]]]
    refusal: str = "Error"  # Asterisk's answer to a wrong secret
    port: int = 0
    logins: list[dict[str, str]] = field(default_factory=list)
    played: threading.Event = field(default_factory=threading.Event)

    async def _read(self, reader: asyncio.StreamReader) -> dict[str, str] | None:
        fields: dict[str, str] = {}
        while True:
            line = await reader.readline()
            if not line:
                return None
            text = line.decode().strip()
            if not text:
                if fields:
                    return fields
                continue
            key, _, value = text.partition(": ")
            fields[key] = value

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(BANNER)
        while (action := await self._read(reader)) is not None:
            kind = action.get("Action", "").lower()
            reply = {"Response": "Success", "ActionID": action.get("ActionID", "")}
            if kind == "login":
                self.logins.append(action)
                if action.get("Secret") != self.secret:
                    reply.update(Response=self.refusal, Message="Authentication failed")
                    writer.write(ami_message(reply))
                    await writer.drain()
                    break
                writer.write(ami_message({**reply, "Message": "Authentication accepted"}))
                writer.write(ami_message({"Event": "FullyBooted", "Privilege": "system,all"}))
                number = min(len(self.logins), len(self.sessions)) - 1
                for event in self.sessions[number]:
                    writer.write(ami_message(event))
                    await writer.drain()
                if number < len(self.sessions) - 1:
                    break  # this session ends: the bridge must come back
                self.played.set()
            elif kind == "ping":
                writer.write(ami_message({**reply, "Ping": "Pong"}))
            else:
                reply.update(Response="Error", Message="Permission denied")
                writer.write(ami_message(reply))
            await writer.drain()
        writer.close()

    @contextmanager
    def serving(self) -> Iterator[ScriptedAmi]:
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        holder: dict[str, asyncio.Server] = {}

        async def start() -> None:
            holder["server"] = await asyncio.start_server(self._session, "127.0.0.1", 0)
            self.port = holder["server"].sockets[0].getsockname()[1]
            ready.set()

        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        asyncio.run_coroutine_threadsafe(start(), loop).result(5)
        ready.wait(5)
        try:
            yield self
        finally:

            async def stop() -> None:
                holder["server"].close()
                for task in asyncio.all_tasks():
                    if task is not asyncio.current_task():
                        task.cancel()

            asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
            loop.close()


@dataclass
class RecordingDesk:
    """Stands in for the desk's CTI endpoint: records every POST (path,
    content type, form fields) and answers `answers` in turn, then 200; or,
    with `forward_to`, passes each POST on to that desk and answers what it
    answered (so a test counts posts without reading the desk's database)."""

    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    forward_to: str = ""
    posts: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    tries: int = 0
    port: int = 0

    def url(self, token: str = "cti_abcdefSECRETPART") -> str:  # noqa: S107
        return f"http://127.0.0.1:{self.port}/api/v1/cti/{token}"

    @contextmanager
    def serving(self) -> Iterator[RecordingDesk]:
        desk = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if desk.forward_to:
                    self._forward(body)
                    return
                with lock:
                    desk.tries += 1
                    status, problem = desk.answers.pop(0) if desk.answers else (200, {})
                    if status == 200:
                        fields = parse_qs(body.decode(), keep_blank_values=True)
                        desk.posts.append({key: values[-1] for key, values in fields.items()})
                        desk.paths.append(self.path)
                        desk.content_types.append(self.headers.get("Content-Type", ""))
                payload = json.dumps(problem or {"state": "ok"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _forward(self, body: bytes) -> None:
                # The live server's http:// address, nothing else.
                request = urllib.request.Request(  # noqa: S310
                    desk.forward_to + self.path,
                    data=body,
                    headers={"Content-Type": self.headers.get("Content-Type", "")},
                    method="POST",
                )
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                        status, payload = answer.status, answer.read()
                except urllib.error.HTTPError as exc:
                    status, payload = exc.code, exc.read()
                with lock:
                    desk.tries += 1
                    if status == 200:
                        fields = parse_qs(body.decode(), keep_blank_values=True)
                        desk.posts.append({key: values[-1] for key, values in fields.items()})
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)

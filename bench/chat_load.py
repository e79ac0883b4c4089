"""Web chat under load: V visitors (default 200) and A agents (default 20)
on fresh desks, message latency from send to display in both directions.

Each agent (hotline operator, available, with the skill every chat asks
for, in the intake group) signs in through /login/ and long-polls
GET /live/; each visitor starts a chat (POST /chat/v/start) and long-polls
GET /chat/v/events. The agents take the chats from GET /chat/queue.json
(V/A each). Then for --seconds each visitor sends a message every
--interval seconds (jittered) and each agent answers every message it
hears. A message's latency runs from the start of its POST to the moment
the other side's long poll returns it, visitor to agent and agent to
visitor apart; with p50/p95/p99/max, counts, messages never heard, errors
and the CPU seconds of the server, the database and this client.

Setups (--setup, comma-separated; default all three):
- sqlite1: one `netdesk serve --workers 1` (with its background worker);
- sqlite2: one `netdesk serve --workers 2`;
- postgres: two `netdesk serve --workers 1 --no-worker` on two ports and a
  `netdesk worker`, against a throwaway cluster (scripts/with-postgres.sh).
  Half the agents and half the visitors use each port, and an agent takes
  only chats of visitors on the other port, so every message crosses
  from one web process to the other.

    .venv/bin/python bench/chat_load.py                       # all three
    .venv/bin/python bench/chat_load.py --setup sqlite1 --seconds 20
    .venv/bin/python bench/chat_load.py --dry-run             # sign-ins, long polls

`--dry-run` builds the desk and signs the agents in, holds their long
polls and checks each answers, without chats (for a desk without them).
Traffic goes to 127.0.0.1 only; every process started is stopped at the
end (also on errors and Ctrl-C). Results: a table on stdout and JSON in
bench/results/chat-<stamp>-<setup>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
NETDESK = [sys.executable, "-m", "netdesk"]
HOST = "127.0.0.1"
# The agents of a throwaway desk.
PASSWORD = "chat-bench-" + "9f3c1d2e"
SETUPS = ("sqlite1", "sqlite2", "postgres")
POLL_WAIT = 25
# The skill every chat asks for (a rule on channel "chat"), and the agents' level.
CHAT_SKILL, CHAT_MIN_LEVEL, AGENT_LEVEL = "CS-INTERACT", 2, 3
TAG = re.compile(r"\[([va])(\d+)-(\d+)\]")


def log(message: str) -> None:
    print(f"[chat-bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------
# A small HTTP/1.1 client on asyncio streams: the project has no async HTTP
# client, and 400+ long polls on threads would cost this 2-core machine more
# CPU than the server it measures.


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str:
        return next((value for key, value in self.headers if key == name), "")


class Connection:
    """One keep-alive connection to 127.0.0.1:port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None
    ) -> Answer:
        fresh = self.writer is None
        if fresh:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            sock = self.writer.get_extra_info("socket")
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        lines = [f"{method} {target} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        assert self.writer is not None
        assert self.reader is not None
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        status_line = await self.reader.readline()
        if not status_line:
            self.close()
            if fresh:
                raise ConnectionError("the server closed a new connection")
            # An idle keep-alive connection the server had closed: once more.
            return await self.request(method, target, headers, body)
        return await self._answer(int(status_line.split()[1]))

    async def _answer(self, status: int) -> Answer:
        assert self.reader is not None
        headers = []
        while (line := await self.reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name.strip().lower(), value.strip()))
        found = dict(headers)
        if "chunked" in found.get("transfer-encoding", ""):
            body = bytearray()
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                body += await self.reader.readexactly(size)
                await self.reader.readline()
            await self.reader.readline()
        elif "content-length" in found:
            body = bytearray(await self.reader.readexactly(int(found["content-length"])))
        else:
            body = bytearray(await self.reader.read())
            self.close()
        if found.get("connection", "").lower() == "close":
            self.close()
        return Answer(status, headers, bytes(body))


class Client:
    """What one browser holds: cookies and a few keep-alive connections
    (a long poll keeps one busy while messages go out on another)."""

    def __init__(self, port: int, address: str) -> None:
        self.port = port
        # Each visitor and agent comes from its own address (the server
        # believes one proxy), as they would in life: per-address limits
        # then count per person, not for the whole bench.
        self.headers = {"X-Forwarded-For": address, "Accept": "application/json"}
        self.cookies: dict[str, str] = {}
        self.idle: list[Connection] = []

    async def call(
        self,
        method: str,
        target: str,
        *,
        data: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> Answer:
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body, sent["Content-Type"] = json.dumps(data).encode(), "application/json"
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif method == "POST":
            body = b""
        connection = self.idle.pop() if self.idle else Connection(self.port)
        try:
            answer = await asyncio.wait_for(connection.request(method, target, sent, body), timeout)
        except BaseException:
            connection.close()
            raise
        if connection.writer is not None:
            self.idle.append(connection)
        for name, value in answer.headers:
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return answer


# --------------------------------------------------------------------------
# The desk: processes, data, CPU.

SETUP_SCRIPT = """
import json, os
from netdesk.accounts.models import Role
from netdesk.accounts.services import user_create
from netdesk.competency.models import LevelSource, Skill
from netdesk.competency.services.people import agent_level_record
from netdesk.routing.services.config import availability_set, routing_rule_create
from netdesk.tickets.services.intake import default_intake_group

given = json.loads(os.environ["CHAT_BENCH_DESK"])
group = default_intake_group()
manager = user_create(username="chat-bench-manager", role=Role.SERVICE_DESK_MANAGER)
skill = Skill.objects.filter(code=given["skill"], framework__state="published").order_by("-id")[0]
routing_rule_create(actor=manager, name="Web chats", skill=skill, min_level=given["min_level"],
                    match_channel="chat")
names = []
for n in range(given["agents"]):
    agent = user_create(username=f"chat-agent-{n:03d}", role=Role.HOTLINE_OPERATOR,
                        password=given["password"], first_name="Agent", last_name=str(n))
    group.members.add(agent)
    agent_level_record(actor=manager, agent=agent, skill=skill, level=given["level"],
                       source=LevelSource.ASSESSMENT)
    availability_set(actor=agent, agent=agent, available=True)
    names.append(agent.username)
print("AGENTS " + json.dumps(names))
"""


def netdesk(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*NETDESK, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"netdesk {' '.join(args[:2])} failed:\n{done.stdout}{done.stderr[-3000:]}"
        )
    return done.stdout


def prepare(env: dict[str, str], agents: int) -> list[str]:
    netdesk(env, "migrate", "--no-input", "-v", "0")
    given = {
        "skill": CHAT_SKILL,
        "min_level": CHAT_MIN_LEVEL,
        "level": AGENT_LEVEL,
        "agents": agents,
        "password": PASSWORD,
    }
    out = netdesk(
        {**env, "CHAT_BENCH_DESK": json.dumps(given)}, "shell", "-v", "0", "-c", SETUP_SCRIPT
    )
    line = next(line for line in out.splitlines() if line.startswith("AGENTS "))
    names: list[str] = json.loads(line.removeprefix("AGENTS "))
    return names


class Desk:
    """The processes of one setup, each in its own process group."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.ports: list[int] = []

    def start(self, name: str, *args: str) -> None:
        with (self.logs / f"{name}.log").open("wb") as out:
            process = subprocess.Popen(
                [*NETDESK, *args], cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.processes.append((name, process))

    def serve(self, name: str, *args: str) -> None:
        port = free_port()
        self.start(name, "serve", "--host", HOST, "--port", str(port), *args)
        self.ports.append(port)

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        for port in self.ports:
            while True:
                for name, process in self.processes:
                    if process.poll() is not None:
                        tail = (self.logs / f"{name}.log").read_text(errors="replace")[-2000:]
                        raise RuntimeError(f"{name} exited early:\n{tail}")
                try:
                    with socket.create_connection((HOST, port), timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"port {port} did not answer in {timeout:.0f} s"
                        ) from None
                    time.sleep(0.3)

    def cpu_seconds(self) -> float:
        """CPU seconds so far of every process of the desk (web workers, the
        background worker), alive or ended and reaped."""
        sessions = {process.pid for _, process in self.processes}
        return sum(cpu_of(pid, children=True) for pid in pids_in_sessions(sessions))

    def waited_for_cpu(self) -> float:
        """Seconds the desk's live threads have spent runnable but waiting
        for a CPU (schedstat): high when other work on the machine starves
        the desk, whatever the desk's own code does."""
        sessions = {process.pid for _, process in self.processes}
        total = 0
        for pid in pids_in_sessions(sessions):
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    total += int((task / "schedstat").read_text().split()[1])
                except (OSError, IndexError, ValueError):
                    continue  # a thread that ended meanwhile
        return total / 1e9

    def spy(self, out: Path, seconds: float) -> list[Any]:
        """py-spy on every web process while the visitors send: what every
        thread is doing (waiting for the database, for a lock, for the GIL),
        at a quarter, half and three quarters of the time."""
        out.mkdir(parents=True, exist_ok=True)
        spy = os.environ.get("PY_SPY") or shutil.which("py-spy") or "py-spy"
        jobs = []
        for name, process in self.processes:
            if not name.startswith("web"):
                continue
            for n in (1, 2, 3):
                # --nonblocking: the web process is not stopped to be read (it
                # would not be allowed, and stopping it would add latency).
                dump = [spy, "dump", "--nonblocking", "--subprocesses", "--pid", str(process.pid)]
                jobs.append(spy_run(dump, out / f"{name}-dump-{n}.txt", n * seconds / 4))
        return jobs

    def errors_logged(self) -> int:
        return sum(
            (self.logs / f"{name}.log").read_bytes().count(b" ERROR ") for name, _ in self.processes
        )

    def stop(self) -> None:
        for _, process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in self.processes:
            try:
                process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


async def spy_run(command: list[str], out: Path, after: float) -> None:
    await asyncio.sleep(after)
    with out.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=sink, stderr=asyncio.subprocess.STDOUT
        )
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


def proc_stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_of(pid: int, *, children: bool) -> float:
    fields = proc_stat(pid)
    if fields is None:
        return 0.0
    # utime, stime, cutime, cstime: fields 14-17 of stat (11-14 after the name).
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def pids_in_sessions(sessions: set[int]) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        fields = proc_stat(int(entry.name)) if entry.name.isdigit() else None
        if fields is not None and int(fields[3]) in sessions:  # the session id, field 6
            found.append(int(entry.name))
    return found


def database_sessions() -> float | None:
    """Connections PostgreSQL has accepted so far (each one a new backend
    process); None on SQLite."""
    url = os.environ.get("NETDESK_DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    import psycopg

    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT sum(sessions) FROM pg_stat_database WHERE datname IS NOT NULL"
        ).fetchone()
    assert row is not None
    return float(row[0] or 0)


def database_cpu_seconds() -> float | None:
    """The PostgreSQL server's CPU seconds: the postmaster, its live
    processes and those that ended. None on SQLite (it runs inside the web
    processes, counted there)."""
    url = os.environ.get("NETDESK_DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    import psycopg

    with psycopg.connect(url) as connection:
        row = connection.execute("SHOW data_directory").fetchone()
    assert row is not None
    postmaster = int((Path(row[0]) / "postmaster.pid").read_text().split()[0])
    alive = [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit()
        and (fields := proc_stat(int(entry.name)))
        and int(fields[1]) == postmaster
    ]
    return cpu_of(postmaster, children=True) + sum(cpu_of(pid, children=True) for pid in alive)


# --------------------------------------------------------------------------
# The people.


@dataclass
class Tally:
    """Everything measured, shared by every visitor and agent."""

    measuring: bool = False
    pending: dict[str, float] = field(default_factory=dict)
    latency: dict[str, list[float]] = field(default_factory=lambda: {"v": [], "a": []})
    post_ms: dict[str, list[float]] = field(default_factory=lambda: {"v": [], "a": []})
    sent: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    takes: Counter[str] = field(default_factory=Counter)
    polls: Counter[str] = field(default_factory=Counter)

    def error(self, what: str) -> None:
        self.errors[what] += 1

    def heard(self, body: str) -> tuple[str, bool] | None:
        """A tagged message heard: its tag, and whether it was sent while
        measuring (then its latency is kept)."""
        match = TAG.search(body)
        if match is None:
            return None
        started = self.pending.pop(match.group(0), None)
        if started is not None:
            self.latency[match.group(1)].append(time.monotonic() - started)
        return match.group(0), started is not None


@dataclass
class Visitor:
    number: int
    client: Client
    chat: str = ""
    token: str = ""
    cursor: int = 0

    async def start(self, tally: Tally) -> None:
        answer = await self.client.call(
            "POST", "/chat/v/start",
            data={"name": f"Visitor {self.number}", "page": "https://isp.example/help"},
        )  # fmt: skip
        if answer.status != 201:
            tally.error(f"visitor start {answer.status}{problem(answer)}")
            return
        found = answer.json()
        self.chat, self.token, self.cursor = found["chat"], found["token"], int(found["cursor"])
        self.client.headers["X-Chat-Token"] = self.token
        if found["state"] == "outage_notice":  # the desk has no incidents, but still
            await self.client.call("POST", "/chat/v/queue")

    async def listen(self, tally: Tally) -> None:
        while True:
            try:
                target = f"/chat/v/events?after={self.cursor}&wait={POLL_WAIT}"
                answer = await self.client.call("GET", target, timeout=POLL_WAIT + 30)
            except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
                tally.error(f"visitor poll {type(exc).__name__}")
                await asyncio.sleep(1)
                continue
            if answer.status != 200:
                tally.error(f"visitor poll {answer.status}")
                await asyncio.sleep(1)
                continue
            found = answer.json()
            self.cursor = max(self.cursor, int(found["cursor"]))
            tally.polls["visitor"] += 1
            for event in found["events"]:
                payload = event.get("payload") or {}
                if event["kind"] == "message" and payload.get("sender") == "agent":
                    tally.heard(str(payload.get("body", "")))

    async def talk(self, tally: Tally, seconds: float, interval: float) -> None:
        await asyncio.sleep(random.uniform(0, interval))
        end, seq = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            seq += 1
            tag = f"[v{self.number}-{seq}]"
            text = f"{tag} Still no sync on the router, light {seq % 3} is red."
            message = Message("/chat/v/messages", text, tag, "v", tally.measuring)
            await post(self.client, message, tally)
            await asyncio.sleep(interval * random.uniform(0.8, 1.2))


@dataclass(frozen=True)
class Message:
    target: str
    text: str
    tag: str
    side: str  # "v": visitor to agent, "a": agent to visitor
    measured: bool
    headers: dict[str, str] = field(default_factory=dict)


async def post(client: Client, message: Message, tally: Tally) -> None:
    started = time.monotonic()
    side = message.side
    if message.measured:
        tally.pending[message.tag] = started
        tally.sent[side] += 1
    try:
        answer = await client.call(
            "POST", message.target, data={"text": message.text}, headers=message.headers
        )
    except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
        tally.error(f"{side} send {type(exc).__name__}")
        return
    if answer.status != 201:
        tally.error(f"{side} send {answer.status}{problem(answer)}")
        return
    if message.measured:
        tally.post_ms[side].append(1000 * (time.monotonic() - started))


def problem(answer: Answer) -> str:
    """What a JSON error answer says (an HTML error page says nothing more)."""
    if "json" not in answer.header("content-type"):
        return ""
    return ": " + answer.body[:120].decode(errors="replace")


@dataclass
class Agent:
    username: str
    client: Client
    cursor: int = 0
    csrf: str = ""
    mine: set[str] = field(default_factory=set)
    replies: set[asyncio.Task[None]] = field(default_factory=set)

    async def sign_in(self) -> None:
        page = (await self.client.call("GET", "/login/")).body.decode()
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if match is None:
            raise RuntimeError("the sign-in page has no CSRF token field")
        form = {
            "username": self.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": match.group(1),
        }
        answer = await self.client.call("POST", "/login/", form=form)
        if answer.status != 302 or "sessionid" not in self.client.cookies:
            raise RuntimeError(f"{self.username} could not sign in ({answer.status})")
        self.csrf = self.client.cookies["csrftoken"]
        answer = await self.client.call("GET", "/live/")
        if answer.status != 200:
            raise RuntimeError(f"GET /live/ answered {answer.status}: {answer.body[:300]!r}")
        self.cursor = int(answer.json()["cursor"])

    async def listen(self, tally: Tally) -> None:
        while True:
            try:
                target = f"/live/?after={self.cursor}&wait={POLL_WAIT}"
                answer = await self.client.call("GET", target, timeout=POLL_WAIT + 30)
            except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
                tally.error(f"agent poll {type(exc).__name__}")
                await asyncio.sleep(1)
                continue
            if answer.status != 200:
                tally.error(f"agent poll {answer.status}")
                await asyncio.sleep(1)
                continue
            found = answer.json()
            self.cursor = max(self.cursor, int(found["cursor"]))
            tally.polls["agent"] += 1
            for event in found["events"]:
                payload = event.get("payload") or {}
                if event["kind"] == "chat_message" and payload.get("sender") == "visitor":
                    found_tag = tally.heard(str(payload.get("body", "")))
                    if found_tag is not None:
                        reply = self.answer(str(payload["chat"]), *found_tag, tally)
                        task = asyncio.create_task(reply)
                        self.replies.add(task)
                        task.add_done_callback(self.replies.discard)

    async def answer(self, chat: str, tag: str, measured: bool, tally: Tally) -> None:
        """Answer at once (an agent's typing time is not the desk's latency)."""
        reply = tag.replace("[v", "[a", 1)
        text = f"{reply} Thank you, I am looking at your line now."
        headers = {"X-CSRFToken": self.csrf}
        message = Message(f"/chat/{chat}/messages", text, reply, "a", measured, headers)
        await post(self.client, message, tally)

    async def take(
        self, quota: int, wanted: Callable[[str], bool], tally: Tally, deadline: float
    ) -> None:
        """Take chats from the queue until holding `quota`, as an agent
        clicking "Take" in the console would (409: another was faster)."""
        headers = {"X-CSRFToken": self.csrf}
        while len(self.mine) < quota and time.monotonic() < deadline:
            answer = await self.client.call("GET", "/chat/queue.json")
            if answer.status != 200:
                tally.error(f"queue.json {answer.status}")
                await asyncio.sleep(0.5)
                continue
            waiting = [row["chat"] for row in answer.json()["waiting"]]
            choices = [chat for chat in waiting if wanted(chat)] or (
                waiting if time.monotonic() > deadline - 20 else []
            )
            random.shuffle(choices)
            for chat in choices[: quota - len(self.mine)]:
                taken = await self.client.call("POST", f"/chat/{chat}/take", headers=headers)
                tally.takes[str(taken.status)] += 1
                if taken.status == 200:
                    self.mine.add(chat)
            if not choices:
                await asyncio.sleep(0.2)


# --------------------------------------------------------------------------
# One run.


def percentiles(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)

    return {
        "n": len(ordered),
        "p50_ms": at(0.5),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(1000 * ordered[-1], 1),
    }


def address(kind: int, number: int) -> str:
    return f"10.{kind}.{number // 250}.{number % 250 + 1}"


async def crowd(
    args: argparse.Namespace, ports: list[int], agent_names: list[str], desk: Desk
) -> dict[str, Any]:
    tally = Tally()
    agents = [
        Agent(name, Client(ports[n % len(ports)], address(1, n)))
        for n, name in enumerate(agent_names)
    ]
    visitors = [
        Visitor(n, Client(ports[n % len(ports)], address(2, n))) for n in range(args.visitors)
    ]
    tasks: list[asyncio.Task[None]] = []
    try:
        began = time.monotonic()
        for agent in agents:  # one after the other: each costs a password hash
            await agent.sign_in()
        tasks += [asyncio.create_task(agent.listen(tally)) for agent in agents]
        log(f"{len(agents)} agents signed in and listening ({time.monotonic() - began:.1f} s)")
        if args.dry_run:
            return await dry_run(tally, agents)
        await gather_limited([visitor.start(tally) for visitor in visitors], 20)
        started = [visitor for visitor in visitors if visitor.chat]
        if len(started) < len(visitors):
            raise RuntimeError(
                f"only {len(started)} of {len(visitors)} chats started: {dict(tally.errors)}"
            )
        tasks += [asyncio.create_task(visitor.listen(tally)) for visitor in visitors]
        log(f"{len(visitors)} chats started ({time.monotonic() - began:.1f} s)")
        await take_all(args, agents, visitors, ports, tally)
        log(
            f"all chats taken; takes by status {dict(tally.takes)} ({time.monotonic() - began:.1f} s)"
        )
        start_cursors = {agent.username: agent.cursor for agent in agents}
        result = await measure(args, visitors, tally, desk)
        result["lost_to_agents"] = await lost_events(agents, start_cursors, tally)
        return result
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def lost_events(
    agents: list[Agent], start_cursors: dict[str, int], tally: Tally
) -> list[dict[str, Any]]:
    """For each visitor message an agent never heard: is its event on the
    agent's stream, below the cursor the agent's long poll reached? Then
    the poll stepped over it (an event committed after one with a higher
    id), rather than it never being published."""
    lost = {tag for tag in tally.pending if tag.startswith("[v")}
    found = []
    for agent in agents:
        after = start_cursors[agent.username]
        for _page in range(50):
            if not lost:
                break
            answer = await agent.client.call("GET", f"/live/?after={after}&wait=0")
            events = answer.json()["events"] if answer.status == 200 else []
            for event in events:
                match = TAG.search(str((event.get("payload") or {}).get("body", "")))
                if event["kind"] == "chat_message" and match and match.group(0) in lost:
                    lost.discard(match.group(0))
                    found.append(
                        {"tag": match.group(0), "event": event["id"], "agent_cursor": agent.cursor}
                    )
            if not events:
                break
            after = events[-1]["id"]
    found += [{"tag": tag, "event": None} for tag in sorted(lost)]
    return found


async def gather_limited(jobs: list[Any], limit: int) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(job: Any) -> None:
        async with gate:
            await job

    await asyncio.gather(*(one(job) for job in jobs))


async def take_all(
    args: argparse.Namespace,
    agents: list[Agent],
    visitors: list[Visitor],
    ports: list[int],
    tally: Tally,
) -> None:
    port_of = {visitor.chat: visitor.client.port for visitor in visitors}
    quota = -(-len(visitors) // len(agents))
    deadline = time.monotonic() + args.take_seconds

    def other_port(agent: Agent) -> Callable[[str], bool]:
        # Two web processes: an agent takes chats of visitors on the other
        # one, so each message is carried from one process to the other.
        return lambda chat: len(ports) == 1 or port_of.get(chat) != agent.client.port

    await asyncio.gather(
        *(agent.take(quota, other_port(agent), tally, deadline) for agent in agents)
    )
    held = sum(len(agent.mine) for agent in agents)
    if held < len(visitors):
        raise RuntimeError(
            f"agents took {held} of {len(visitors)} chats in {args.take_seconds} s; takes {dict(tally.takes)}"
        )


async def measure(
    args: argparse.Namespace, visitors: list[Visitor], tally: Tally, desk: Desk
) -> dict[str, Any]:
    await asyncio.sleep(1)  # the take events heard before the clock starts
    tally.measuring = True
    polls_before = Counter(tally.polls)
    cpu = cpu_now(desk)
    began = time.monotonic()
    spies = asyncio.gather(*desk.spy(args.spy, args.seconds)) if args.spy else None
    await asyncio.gather(
        *(visitor.talk(tally, args.seconds, args.interval) for visitor in visitors)
    )
    tally.measuring = False
    sending = time.monotonic() - began
    # The last answers go out and are heard; what is still pending after
    # this is counted as never heard.
    await asyncio.sleep(args.grace)
    if spies is not None:
        await spies
    spent = {key: difference(cpu[key], value) for key, value in cpu_now(desk).items()}
    wall = time.monotonic() - began
    connections = spent.pop("database_connections_opened")
    ours = sum(
        value or 0 for key, value in spent.items() if key in ("server", "database", "client")
    )
    spent["others"] = round((spent["machine"] or 0) - ours, 1)
    lost = Counter(tag[1] for tag in tally.pending)
    return {
        "sending_seconds": round(sending, 1),
        "visitor_to_agent": {
            **percentiles(tally.latency["v"]),
            "sent": tally.sent["v"],
            "never_heard": lost["v"],
        },
        "agent_to_visitor": {
            **percentiles(tally.latency["a"]),
            "sent": tally.sent["a"],
            "never_heard": lost["a"],
        },
        "post_visitor": percentiles([ms / 1000 for ms in tally.post_ms["v"]]),
        "post_agent": percentiles([ms / 1000 for ms in tally.post_ms["a"]]),
        # Long polls answered during the measurement (not while taking chats).
        "polls_answered": dict(tally.polls - polls_before),
        "takes": dict(tally.takes),
        "errors": dict(tally.errors),
        "database_connections_opened": connections,
        "cpu_seconds": spent,
        "cpu_share_of_one_core": {
            key: round(value / wall, 2) if value is not None else None
            for key, value in spent.items()
        },
        "wall_seconds": round(wall, 1),
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def difference(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else round(after - before, 1)


def cpu_now(desk: Desk) -> dict[str, float | None]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "server": desk.cpu_seconds(),
        "database": database_cpu_seconds(),
        "client": usage.ru_utime + usage.ru_stime,
        "machine": machine_busy_seconds(),
        "server_waiting_for_cpu": desk.waited_for_cpu(),
        "database_connections_opened": database_sessions(),
    }


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy (not idle, not
    waiting for I/O): what else ran beside the bench shows in the figures."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


async def dry_run(tally: Tally, agents: list[Agent]) -> dict[str, Any]:
    """No chats: every agent's long poll is held and comes back empty."""
    await asyncio.sleep(POLL_WAIT + 3)
    answered = tally.polls["agent"]
    if answered < len(agents):
        raise RuntimeError(
            f"only {answered} of {len(agents)} long polls came back: {dict(tally.errors)}"
        )
    return {
        "dry_run": True,
        "agents_signed_in": len(agents),
        "polls_answered": dict(tally.polls),
        "errors": dict(tally.errors),
    }


def desk_env(data_dir: Path, settings: list[str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETDESK_")}
    if os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres"):
        env["NETDESK_DATABASE_URL"] = os.environ["NETDESK_DATABASE_URL"]
    env.update(
        NETDESK_DATA_DIR=str(data_dir),
        NETDESK_DEBUG="0",
        NETDESK_PROXY_COUNT="1",
        # Long enough that no chat is handed to a ticket while the agents take
        # them, and none times out while the bench runs.
        NETDESK_CHAT_QUEUE_WAIT_SECONDS="3600",
        NETDESK_CHAT_IDLE_MINUTES="60",
    )
    for setting in settings:
        name, _, value = setting.partition("=")
        env[name] = value
    return env


def run_setup(setup: str, args: argparse.Namespace) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix=f"netdesk-chat-bench-{setup}-"))
    env = desk_env(scratch, args.setting)
    desk = Desk(env, scratch)
    result: dict[str, Any] = {
        "setup": setup,
        "visitors": args.visitors,
        "agents": args.agents,
        "interval_s": args.interval,
        "serve_options": args.serve_option,
        "settings": args.setting,
    }
    try:
        log(f"{setup}: migrate and make {args.agents} agents")
        names = prepare(env, args.agents)
        result["versions"] = versions(env)
        if setup == "postgres":
            for name in ("web-a", "web-b"):
                desk.serve(name, "--workers", "1", "--no-worker", *args.serve_option)
            desk.start("worker", "worker")
        else:
            desk.serve("web", "--workers", setup.removeprefix("sqlite"), *args.serve_option)
        desk.wait_ready()
        log(f"{setup}: serving on ports {desk.ports}")
        result.update(asyncio.run(crowd(args, desk.ports, names, desk)))
        result["errors_logged"] = desk.errors_logged()
    finally:
        desk.stop()
        if args.keep:
            log(f"{setup}: logs and data kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return result


def versions(env: dict[str, str]) -> dict[str, str]:
    probe = (
        "import django, granian, sqlite3, sys\n"
        "from django.db import connection\n"
        "connection.ensure_connection()\n"
        "pg = connection.pg_version if connection.vendor == 'postgresql' else 0\n"
        "print('VERSIONS', sys.version.split()[0], django.get_version(), granian.__version__,"
        " sqlite3.sqlite_version, f'{pg // 10000}.{pg % 10000}' if pg else '-')\n"
    )
    out = netdesk(env, "shell", "-v", "0", "-c", probe)
    line = next(line for line in out.splitlines() if line.startswith("VERSIONS "))
    keys = ("python", "django", "granian", "sqlite", "postgresql")
    return dict(zip(keys, line.split()[1:], strict=True))


def code_version() -> str:
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "netdesk"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{head}{' + uncommitted changes in netdesk/' if dirty else ''}"


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    return f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}"


def postgres_outside(stamp: str) -> dict[str, Any] | None:
    """The PostgreSQL setup again inside scripts/with-postgres.sh, which
    starts a throwaway cluster and removes it afterwards."""
    argv = [*sys.argv[1:]]
    if "--setup" in argv:
        index = argv.index("--setup")
        del argv[index : index + 2]
    argv = [a for a in argv if not a.startswith("--setup=")]
    command = [
        str(ROOT / "scripts" / "with-postgres.sh"),
        sys.executable,
        str(Path(__file__).resolve()),
        *argv,
        "--setup",
        "postgres",
        "--stamp",
        stamp,
    ]
    done = subprocess.run(command, check=False)
    if done.returncode == 3:
        log("postgres: SKIPPED, PostgreSQL is not installed")
        return None
    path = RESULTS / f"chat-{stamp}-postgres.json"
    if done.returncode != 0 or not path.exists():
        raise SystemExit(f"postgres run failed (exit {done.returncode})")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def table(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| setup | direction | messages | never heard | p50 ms | p95 ms | p99 ms | max ms | POST p99 ms | errors | CPU cores: server / db / bench / others (server threads waiting for a CPU) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for run in runs:
        if run.get("dry_run"):
            lines.append(
                f"| {run['setup']} | dry run: {run['agents_signed_in']} agents signed in, polls {run['polls_answered']}, errors {run['errors'] or '-'} |||||||||"
            )
            continue
        errors = ", ".join(f"{k} x{v}" for k, v in run["errors"].items()) or "-"
        share = run["cpu_share_of_one_core"]
        cpu = " / ".join(
            "-" if share[key] is None else f"{share[key]:.2f}"
            for key in ("server", "database", "client", "others")
        )
        waited = share.get("server_waiting_for_cpu")
        cpu += f" (waited {waited:.1f})" if waited is not None else ""
        for key, label, post_key in (
            ("visitor_to_agent", "visitor → agent", "post_visitor"),
            ("agent_to_visitor", "agent → visitor", "post_agent"),
        ):
            m = run[key]
            lines.append(
                f"| {run['setup']} | {label} | {m['n']} of {m['sent']} | {m['never_heard']} | {m.get('p50_ms', '-')} "
                f"| {m.get('p95_ms', '-')} | {m.get('p99_ms', '-')} | {m.get('max_ms', '-')} | {run[post_key].get('p99_ms', '-')} | {errors} | {cpu} |"
            )
    return "\n".join(lines) + "\n"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--setup", default=",".join(SETUPS), help=f"comma-separated: {', '.join(SETUPS)}"
    )
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60, help="how long visitors send")
    parser.add_argument(
        "--interval", type=float, default=5, help="seconds between a visitor's messages (±20 %%)"
    )
    parser.add_argument(
        "--grace", type=float, default=10, help="seconds to wait for the last answers"
    )
    parser.add_argument(
        "--take-seconds", type=float, default=120, help="limit for taking every chat"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="sign-ins and long polls only, no chats"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep each setup's data and server logs"
    )
    parser.add_argument(
        "--spy",
        type=Path,
        help="py-spy dumps (PY_SPY or on PATH) of the web processes while measuring, into this folder",
    )
    parser.add_argument(
        "--serve-option",
        action="append",
        default=[],
        help="an option for `netdesk serve`, e.g. --serve-option=--threads=64 (repeatable)",
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        help="NAME=VALUE in the desk's environment, e.g. NETDESK_LIVE_WAITERS=64 (repeatable)",
    )
    parser.add_argument("--stamp", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.setups = [name.strip() for name in args.setup.split(",") if name.strip()]
    unknown = set(args.setups) - set(SETUPS)
    if unknown or not args.setups:
        parser.error(f"--setup {args.setup!r}: accepted are {', '.join(SETUPS)}")
    if args.visitors < 1 or args.agents < 1:
        parser.error("--visitors and --agents: 1 or more")
    return args


def stop_on_term(signum: int, _frame: Any) -> None:
    # As Ctrl-C: the desk's processes are stopped on the way out.
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> None:
    signal.signal(signal.SIGTERM, stop_on_term)
    args = parse_args()
    stamp = args.stamp or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    inside_postgres = os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres")
    runs = []
    for setup in args.setups:
        if setup == "postgres" and not inside_postgres:
            outside = postgres_outside(stamp)
            if outside is not None:
                runs.append(outside)
            continue
        if setup != "postgres" and inside_postgres:
            continue  # the SQLite setups run outside the cluster's wrapper
        result = run_setup(setup, args)
        result.update(machine=machine(), code=code_version(), stamp=stamp)
        (RESULTS / f"chat-{stamp}-{setup}.json").write_text(
            json.dumps(result, indent=1), encoding="utf-8"
        )
        runs.append(result)
    if args.stamp:
        return  # the run inside with-postgres.sh: the outer one prints the table
    print()
    print(table(runs))
    print(f"Results: {RESULTS}/chat-{stamp}-*.json")
    if any(run.get("errors") or run.get("errors_logged") for run in runs):
        print("WARNING: some requests failed (see the table and the JSON).")
        raise SystemExit(1)


if __name__ == "__main__":
    main()

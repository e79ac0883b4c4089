"""Where the machine's CPU goes during a measured run: the seconds of CPU
(user + system) each kind of process used, read from /proc.

A benchmark on one machine runs the web server, its database, the
background worker and the load generator on the same cores; the figure
that says whether a goal fits those cores is the CPU each of them spends
per request. Processes are sampled every quarter of a second, so one that
starts and ends inside the window (a wrk run, a PostgreSQL backend) is
counted up to its last sample.

    with CpuSplit() as split:
        ...  # the measured run
    split.seconds  # {"web": 12.3, "postgres": 4.5, "wrk": 1.2, ...}
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from types import TracebackType

TICKS = os.sysconf("SC_CLK_TCK")
INTERVAL = 0.25


def kind_of(cmdline: str, comm: str) -> str:
    """The kind of process, from its command line (NUL-separated) and name."""
    if comm == "wrk":
        return "wrk"
    if comm.startswith("postgres") or cmdline.startswith("postgres"):
        return "postgres"
    if "netdesk\0worker" in cmdline or "netdesk worker" in cmdline:
        return "background worker"
    if "netdesk" in cmdline and "serve" in cmdline:
        return "web"
    if "bench/" in cmdline:
        return "load generator"
    return "other"


def cpu_seconds(pid: str) -> float | None:
    """utime + stime of a process, in seconds; None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The name (field 2) may hold spaces and parentheses: split after it.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def describe(pid: str) -> tuple[str, str]:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
        comm = Path(f"/proc/{pid}/comm").read_text(errors="replace").strip()
    except OSError:
        return "", ""
    return cmdline, comm


class CpuSplit:
    """Samples every process's CPU while the block runs; `seconds` holds the
    CPU each kind used inside the window and `busy` the whole machine's
    (from /proc/stat), so `busy - sum(seconds)` is what no process
    sampled accounts for."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.busy = 0.0
        self.states: dict[str, float] = {}
        # Processes of each kind seen in the window: a count far above the
        # connections in use means database connections opened per request.
        self.processes: dict[str, int] = {}
        self.wall = 0.0
        self._start: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._kinds: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, first: bool) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            if entry not in self._kinds:
                cmdline, comm = describe(entry)
                self._kinds[entry] = kind_of(cmdline, comm)
            used = cpu_seconds(entry)
            if used is None:
                continue
            if entry not in self._start:
                # A process started inside the window counts from zero.
                self._start[entry] = used if first else 0.0
            self._last[entry] = used

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL):
            self._sample(first=False)

    def __enter__(self) -> CpuSplit:
        self._busy_start = machine_busy_seconds()
        self._states_start = machine_states()
        self._wall_start = time.monotonic()
        self._sample(first=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._sample(first=False)
        self.wall = time.monotonic() - self._wall_start
        self.busy = machine_busy_seconds() - self._busy_start
        # Where the machine's time went by state: softirq (the loopback
        # network) and steal (a virtual machine's host) belong to no process.
        self.states = {
            state: round(used - self._states_start.get(state, 0.0), 2)
            for state, used in machine_states().items()
        }
        for pid, last in self._last.items():
            kind = self._kinds[pid]
            self.processes[kind] = self.processes.get(kind, 0) + 1
            used = last - self._start[pid]
            if used > 0:
                self.seconds[kind] = self.seconds.get(kind, 0.0) + used

    def per_request_ms(self, requests: int) -> dict[str, float]:
        """CPU milliseconds per request of each kind, and of the machine."""
        if requests <= 0:
            return {}
        split = {kind: round(used * 1000 / requests, 2) for kind, used in self.seconds.items()}
        split["machine"] = round(self.busy * 1000 / requests, 2)
        for state in ("system", "softirq", "steal"):
            split[f"machine {state}"] = round(self.states.get(state, 0.0) * 1000 / requests, 2)
        return split


# /proc/stat's first line: time of all cores in each state since boot.
STATES = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def machine_states() -> dict[str, float]:
    """All cores' time in each state since boot (/proc/stat), in seconds."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return {state: value / TICKS for state, value in zip(STATES, values, strict=False)}


def machine_busy_seconds() -> float:
    """All cores' non-idle time since boot, in seconds."""
    states = machine_states()
    return sum(v for state, v in states.items() if state not in ("idle", "iowait"))

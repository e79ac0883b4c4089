"""Where a web process's memory goes under the desk's mixed workload: the
requests of `bench/mixed_load.py` (in its proportions) through Django's test
client in one process, with tracemalloc snapshots after a warm-up and at the
end, and the process's private memory (RssAnon) every few hundred requests.

    NETDESK_DATA_DIR=DIR NETDESK_DATABASE_URL= python bench/memory_growth.py --warmup 2000 --requests 8000
    scripts/with-postgres.sh python bench/memory_growth.py ...   (after loading)

It prints the allocation sites that grew most between the two snapshots: a
site that keeps growing with the number of requests is a leak; what stops
growing after the warm-up is a cache filling up. Run it against a database
loaded by bench/load_tickets.py."""

from __future__ import annotations

import argparse
import gc
import io
import json
import random
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

request_profile = __import__("request_profile")  # sets Django up as the web process does

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connections  # noqa: E402

from bench.mixed_load import MIX  # noqa: E402
from bench.openload import Request  # noqa: E402


def private_mib() -> float:
    """RssAnon of this process: its heap and stacks, without mapped files."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Server:
    """Django's WSGI handler called as granian calls it, without the test
    client: the test client keeps signal receivers and responses of its own,
    which would show as growth that a real web process does not have."""

    def __init__(self, session_cookie: str) -> None:
        self.handler = WSGIHandler()
        self.session_cookie = session_cookie

    def send(self, request: Request) -> int:
        body = request.body or b""
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "PATH_INFO": request.path.split("?", 1)[0],
            "QUERY_STRING": request.path.split("?", 1)[1] if "?" in request.path else "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1:8000",
            "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        for name, value in request.headers:
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "COOKIE":
                environ[f"HTTP_{key}"] = value
        if request.kind == "queue_html":
            environ["HTTP_COOKIE"] = self.session_cookie
        status: list[str] = []
        answer = self.handler(environ, lambda code, *_: status.append(code))
        try:
            for _ in answer:
                pass
        finally:
            answer.close()
        code = int(status[0].split()[0])
        if code >= 300:
            raise SystemExit(f"{request.kind} {request.path} answered {status[0]}")
        return code


def run_mix(count: int, threads: int, send_one: Any, curve: list[tuple[int, float]]) -> None:
    """`count` requests of the mix, spread over `threads` threads as a web
    process's threads take them (each thread its own database connection)."""
    kinds, weights = zip(*MIX.items(), strict=True)
    done = curve[-1][0] if curve else 0
    lock = threading.Lock()
    sent = [0]

    def work(seed: int) -> None:
        rng = random.Random(seed)
        while True:
            with lock:
                if sent[0] >= count:
                    break
                sent[0] += 1
                if sent[0] % 250 == 0:
                    curve.append((done + sent[0], round(private_mib(), 1)))
            send_one(rng.choices(kinds, weights)[0])
        connections.close_all()

    workers = [threading.Thread(target=work, args=(done + n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def print_growth(
    first: tracemalloc.Snapshot, second: tracemalloc.Snapshot, requests: int, top: int
) -> list[Any]:
    traced_first = sum(stat.size for stat in first.statistics("filename"))
    traced_second = sum(stat.size for stat in second.statistics("filename"))
    print(
        f"traced Python memory: {traced_first / 2**20:.1f} MiB after the warm-up, "
        f"{traced_second / 2**20:.1f} MiB at the end "
        f"({(traced_second - traced_first) / requests:.0f} bytes a request)"
    )
    sites = []
    for stat in second.compare_to(first, "traceback")[:top]:
        frames = [
            f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}"
            for frame in stat.traceback
        ]
        sites.append(
            {
                "grew_kib": round(stat.size_diff / 1024, 1),
                "count_diff": stat.count_diff,
                "frames": frames,
            }
        )
        where = " <- ".join(frames[-1:] + frames[:-1][-3:])
        print(f"{stat.size_diff / 1024:+10.1f} KiB {stat.count_diff:+8d} blocks  {where}")
    return sites


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--warmup", type=int, default=2000, help="requests before the first snapshot"
    )
    parser.add_argument("--requests", type=int, default=8000, help="requests between the snapshots")
    parser.add_argument("--threads", type=int, default=1, help="threads sending at once")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--frames",
        type=int,
        default=6,
        help="stack depth kept per allocation (0: no tracing, memory only)",
    )
    parser.add_argument("--out", help="write the figures here as JSON")
    args = parser.parse_args()
    desk, _api, browser = request_profile.desk_and_clients()
    connections.close_all()
    server = Server("; ".join(f"{name}={morsel.value}" for name, morsel in browser.cookies.items()))

    def send_one(kind: str) -> None:
        server.send(desk.build(kind))

    curve: list[tuple[int, float]] = []
    if args.frames:
        tracemalloc.start(args.frames)
    began = time.monotonic()
    run_mix(args.warmup, args.threads, send_one, curve)
    gc.collect()
    first = tracemalloc.take_snapshot() if args.frames else None
    run_mix(args.requests, args.threads, send_one, curve)
    gc.collect()
    seconds = time.monotonic() - began
    print(
        f"{args.warmup} + {args.requests} requests on {args.threads} thread(s) in {seconds:.0f} s"
    )
    print(
        "private memory (requests: MiB):",
        " ".join(f"{n}:{m}" for n, m in curve[:: max(1, len(curve) // 16)]),
    )
    sites = (
        print_growth(first, tracemalloc.take_snapshot(), args.requests, args.top) if first else []
    )
    if args.out:
        Path(args.out).write_text(
            json.dumps({"curve": curve, "sites": sites, "seconds": seconds}, indent=1),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()

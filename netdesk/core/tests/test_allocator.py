"""A web process limits its malloc arenas (glibc) as configured, and the
settings that bound it refuse values out of range."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from netdesk import config

# Threads allocating at once, then glibc's own account of its arenas
# (malloc_info prints one <heap nr=...> per arena).
ARENAS_SEEN = """
import ctypes, ctypes.util, tempfile, threading, netdesk.core.serving
barrier = threading.Barrier(8)
def allocate():
    barrier.wait()
    kept = [bytearray(4096) for _ in range(2000)]
    barrier.wait()
threads = [threading.Thread(target=allocate) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.fopen.restype = ctypes.c_void_p
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
with tempfile.NamedTemporaryFile("r") as out:
    stream = libc.fopen(out.name.encode(), b"w")
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    print(out.read().count("<heap nr="))
"""


def arenas_with(limit: str) -> int:
    env = {**os.environ, "NETDESK_WEB_MALLOC_ARENAS": limit, "NETDESK_DEBUG": "0"}
    env.pop("NETDESK_SERVE_PID", None)
    env.pop("MALLOC_ARENA_MAX", None)
    out = subprocess.run(
        [sys.executable, "-c", ARENAS_SEEN], env=env, capture_output=True, text=True, check=True
    )
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_info")
def test_a_web_process_keeps_to_the_configured_malloc_arenas() -> None:
    assert arenas_with("1") == 1
    assert arenas_with("0") > 1  # glibc's own limit: threads get arenas of their own


def test_the_idle_thread_setting_names_its_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETDESK_WEB_THREAD_IDLE_SECONDS", "900")
    with pytest.raises(
        ImproperlyConfigured, match=r"NETDESK_WEB_THREAD_IDLE_SECONDS='900'.*at most 600"
    ):
        config.env_int("NETDESK_WEB_THREAD_IDLE_SECONDS", 600, minimum=5, maximum=600)
    monkeypatch.setenv("NETDESK_WEB_THREAD_IDLE_SECONDS", "2")
    with pytest.raises(ImproperlyConfigured, match="at least 5"):
        config.env_int("NETDESK_WEB_THREAD_IDLE_SECONDS", 600, minimum=5, maximum=600)
    monkeypatch.setenv("NETDESK_WEB_THREAD_IDLE_SECONDS", "120")
    assert config.env_int("NETDESK_WEB_THREAD_IDLE_SECONDS", 600, minimum=5, maximum=600) == 120

"""Request slots let waiting reads in before waiting writes, bound the
writes a web process works on at once, and never starve a write; the
background worker runs at a lower CPU priority; web processes switch
threads as often as configured."""

import os
import subprocess
import sys
import threading
import time

import pytest
from django.core.management import call_command
from django.test import Client

from netdesk.core import connections as slots_module
from netdesk.core.connections import RequestSlots
from netdesk.core.management.commands.worker import priority_lower


def waiter(slots: RequestSlots, name: str, read: bool, order: list[str]) -> threading.Thread:
    def take() -> None:
        assert slots.acquire(timeout=5, read=read)
        order.append(name)
        time.sleep(0.05)
        slots.release(read=read)

    thread = threading.Thread(target=take)
    thread.start()
    return thread


def test_a_waiting_read_is_let_in_before_a_write_that_waited_longer() -> None:
    slots = RequestSlots(1)
    order: list[str] = []
    assert slots.acquire(read=False)
    write = waiter(slots, "write", False, order)
    time.sleep(0.1)  # the write waits first
    read = waiter(slots, "read", True, order)
    time.sleep(0.1)
    slots.release(read=False)
    write.join()
    read.join()
    assert order == ["read", "write"]


def test_a_write_passed_over_takes_its_turn_after_its_patience(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(slots_module, "WRITE_PATIENCE_SECONDS", 0.3)
    slots = RequestSlots(2)
    assert slots.acquire(read=True)  # one slot stays taken by a read
    stop = threading.Event()
    reads_waiting = threading.Event()

    def stream_of_reads() -> None:
        # Another read always waits for the free slot: without patience
        # the write would never get in.
        while not stop.is_set():
            reads_waiting.set()
            if slots.acquire(timeout=1, read=True):
                time.sleep(0.01)
                slots.release()

    readers = [threading.Thread(target=stream_of_reads) for _ in range(3)]
    for thread in readers:
        thread.start()
    reads_waiting.wait()
    began = time.monotonic()
    got = slots.acquire(timeout=3, read=False)
    waited = time.monotonic() - began
    stop.set()
    for thread in readers:
        thread.join()
    assert got
    assert 0.2 <= waited < 2.0
    slots.release(read=False)
    slots.release()


def test_writes_at_once_are_bounded_and_reads_still_get_in() -> None:
    slots = RequestSlots(3, write_limit=1)
    assert slots.acquire(read=False)
    assert not slots.acquire(blocking=False, read=False)
    assert slots.acquire(blocking=False, read=True)
    assert slots.acquire(blocking=False, read=True)
    assert not slots.acquire(blocking=False, read=True)  # all three taken
    slots.release()
    slots.release()
    slots.release(read=False)
    assert slots.acquire(blocking=False, read=False)


def test_no_bound_on_writes_when_the_limit_is_zero_or_above_the_slots() -> None:
    assert RequestSlots(4, write_limit=0).write_limit == 4
    assert RequestSlots(4, write_limit=9).write_limit == 4
    assert RequestSlots(4, write_limit=2).write_limit == 2


def test_releasing_more_than_taken_is_refused() -> None:
    slots = RequestSlots(1)
    with pytest.raises(ValueError, match="more often than taken"):
        slots.release()


@pytest.mark.django_db
def test_the_middleware_tells_writes_from_reads(monkeypatch: pytest.MonkeyPatch, settings) -> None:
    settings.NETDESK_REQUEST_QUEUE_SECONDS = 1
    slots = RequestSlots(2, write_limit=1)
    monkeypatch.setattr(slots_module, "_slots", slots)
    assert slots.acquire(read=False)  # the one write a process may work on
    try:
        write = Client().post("/login/", {"username": "x", "password": "y"})
        read = Client().get("/login/")
    finally:
        slots.release(read=False)
    assert write.status_code == 503
    assert write["Retry-After"] == "5"
    assert read.status_code == 200
    # Both came back: the write slot is free again.
    assert slots.acquire(blocking=False, read=False)
    slots.release(read=False)


def test_the_worker_lowers_its_priority_and_never_raises_it() -> None:
    seen: dict[str, int] = {}

    def in_a_thread() -> None:
        # Linux keeps a priority per thread: this one only, not the suite's.
        own = threading.get_native_id()
        seen["start"] = os.getpriority(os.PRIO_PROCESS, own)
        seen["lowered"] = priority_lower(seen["start"] + 5)
        seen["after_raise_asked"] = priority_lower(seen["start"])
        seen["capped"] = priority_lower(40)

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert seen["lowered"] == min(seen["start"] + 5, 19)
    assert seen["after_raise_asked"] == seen["lowered"]
    assert seen["capped"] == 19


def test_a_web_process_switches_threads_as_often_as_configured() -> None:
    code = "import sys, netdesk.core.serving; print(sys.getswitchinterval())"
    env = {**os.environ, "NETDESK_WEB_SWITCH_INTERVAL_MS": "2", "NETDESK_DEBUG": "0"}
    env.pop("NETDESK_SERVE_PID", None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert float(out.stdout.split()[-1]) == pytest.approx(0.002)


@pytest.mark.django_db(transaction=True)
def test_netdesk_worker_runs_at_the_configured_priority(
    monkeypatch: pytest.MonkeyPatch, settings
) -> None:
    asked: list[int] = []
    monkeypatch.setattr("netdesk.core.management.commands.worker.priority_lower", asked.append)
    settings.NETDESK_WORKER_NICE = 7
    call_command("worker", "--batch")
    call_command("worker", "--batch", "--nice", "3")
    assert asked == [7, 3]

"""Races on PostgreSQL for the concurrency tests: actions started at one moment in threads, each
with its own database connection, and a way to hold one action back until another is waiting
on a row lock (so an interleaving that a barrier only makes likely is made certain)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, connections


def race(*actions: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Run the actions at the same moment, each in a thread with its own connection; return
    what each returned, or the exception it raised, in the actions' order."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = action()
        except Exception as exc:  # the outcome is what the test asserts on
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a racer never finished"
    return results


def in_thread(action: Callable[[], Any]) -> Callable[[], Any]:
    """Start `action` in a thread with its own connection; the function returned waits for it
    and returns what it returned (or raises what it raised)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = action()
        except Exception as exc:  # handed to the caller of the result
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()

    def result(timeout: float = 60) -> Any:
        thread.join(timeout=timeout)
        assert not thread.is_alive(), "the action never finished"
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")

    return result


def wait_until_blocked(count: int = 1, timeout: float = 20) -> None:
    """Return once `count` other connections to this database wait on a lock (a row lock taken
    by another transaction)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            # PostgreSQL's own view of its sessions: the ORM has no model for it.
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.02)
    raise AssertionError(f"no {count} connection(s) waited on a lock within {timeout} s")

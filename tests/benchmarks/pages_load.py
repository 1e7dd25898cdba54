"""The load side of the page benchmark: the servers it starts, wrk, and the CPU each side uses.

A `Server` is a process group started in its own session (gunicorn for roleplan, puma for
Redmine), with the PostgreSQL database it serves. Its CPU per request is read from /proc around
each wrk run: the user + system time of every process of the server's session, and of every
PostgreSQL backend whose title names the server's database. On a shared machine that figure
moves much less than throughput does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
LUA = HERE / "pages_wrk.lua"
CONNECTIONS = 4
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def say(message: str) -> None:
    print(f"[bench_pages] {message}", flush=True)


def apt_install(*packages: str) -> None:
    """apt-get install, with an update first when the package lists are stale."""
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "-qq", *packages]
    if subprocess.run(command, env=env, **quiet).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, **quiet)
        subprocess.run(command, check=True, env=env, **quiet)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit(
            "wrk is missing. Install it (Debian/Ubuntu: `sudo apt-get install -y wrk`) and run "
            "the benchmark again."
        )
    say("installing wrk (apt-get install -y wrk)")
    apt_install("wrk")
    return shutil.which("wrk") or sys.exit("wrk could not be installed.")


@dataclass
class Server:
    """A server the benchmark started: its process (the leader of its own session), the base
    URL, the database it serves, and the headers that sign wrk in."""

    name: str
    base: str
    db_name: str
    process: subprocess.Popen | None = None
    headers: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def start(self, command: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> None:
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_until_up(self, path: str, timeout: float, log: Path) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = self.process.returncode if self.process else None
                raise RuntimeError(f"{self.name} exited with {code}; see {log}")
            try:
                with urllib.request.urlopen(self.base + path, timeout=5) as answer:
                    if answer.status < 500:
                        return
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} did not answer on {self.base} within {timeout} s")

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        except ProcessLookupError:
            pass

    def session_pids(self) -> list[int]:
        """The server's processes other than its leader (gunicorn's or puma's workers)."""
        if self.process is None:
            return []
        leader = self.process.pid
        pids = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) == leader:
                continue
            stat = read_stat(entry.name)
            if stat and int(stat[1][3]) == leader:
                pids.append(int(entry.name))
        return pids

    def wait_idle(self, timeout: float = 120) -> float:
        """Wait until the server has finished what it was doing: wrk stops at the end of its
        run, but the answers it no longer waits for are still being rendered, and would slow
        the next measurement down. Idle: under 40 ms of CPU in 0.5 s, server and database.
        Returns the seconds waited."""
        began = time.monotonic()
        before = self.cpu_ticks()
        while time.monotonic() - began < timeout:
            time.sleep(0.5)
            after = self.cpu_ticks()
            if sum(cpu_used(before, after)) * TICK_MS < 40:
                break
            before = after
        return time.monotonic() - began

    def cpu_ticks(self) -> tuple[dict[int, int], dict[int, int]]:
        """CPU time used so far (user + system, clock ticks) by each of the server's processes
        and each PostgreSQL backend of its database, by process id."""
        leader = self.process.pid if self.process else -1
        app: dict[int, int] = {}
        db: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            stat = read_stat(entry.name)
            if stat is None:
                continue
            name, fields = stat
            # fields[0] is field 3 of proc(5): state; session is field 6, utime 14, stime 15.
            used = int(fields[11]) + int(fields[12])
            if int(fields[3]) == leader:
                app[int(entry.name)] = used
            elif name == "postgres" and f" {self.db_name} " in process_title(entry.name):
                db[int(entry.name)] = used
        return app, db

    def connection_split(self) -> str:
        """How wrk's connections sit on the server's workers, e.g. "3:1": a worker keeps a
        keep-alive connection for its life, and a Python or Ruby worker runs on one core at a
        time (the GIL, the GVL). Read from /proc: the port's established sockets, by owner."""
        port = f"{self.port:04X}"
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                if fields[1].endswith(f":{port}") and fields[3] == "01":  # ESTABLISHED
                    inodes.add(fields[9])
        counts = []
        for pid in self.session_pids():
            held = 0
            try:
                for fd in os.scandir(f"/proc/{pid}/fd"):
                    try:
                        target = os.readlink(fd.path)
                    except OSError:
                        continue
                    if target.startswith("socket:[") and target[8:-1] in inodes:
                        held += 1
            except OSError:
                continue
            counts.append(held)
        return ":".join(str(n) for n in sorted(counts, reverse=True)) or "?"


def cpu_used(
    before: tuple[dict[int, int], dict[int, int]], after: tuple[dict[int, int], dict[int, int]]
) -> tuple[int, int]:
    """Clock ticks used between two `Server.cpu_ticks()` snapshots, server and database. A
    process that ended in between is left out (its last ticks are lost, so a total over all
    processes could even go down); one that started counts from zero."""
    (app_was, db_was), (app_now, db_now) = before, after
    app = sum(ticks - app_was.get(pid, 0) for pid, ticks in app_now.items())
    db = sum(ticks - db_was.get(pid, 0) for pid, ticks in db_now.items())
    return app, db


def read_stat(pid: str) -> tuple[str, list[str]] | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            raw = stat.read()
    except OSError:
        return None  # gone meanwhile
    return raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()


def process_title(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@dataclass
class Target:
    """One thing wrk drives: a page (GET) or a write, on one server."""

    key: str
    label: str
    server: Server
    path: str
    mode: str = "get"  # get, edit, move, put
    specs: list[str] = field(default_factory=list)  # one per connection, for writes
    headers: list[str] = field(default_factory=list)  # in addition to the server's
    size: int = 0  # bytes of the page's body, to check that wrk got the page
    refresh: object = None  # callable giving fresh specs before a run (versions move on)


def run_wrk(
    tool: str, target: Target, seconds: float, *, timeout_s: int = 30
) -> dict[str, float | int | str]:
    url = target.server.base + target.path
    args = [target.mode, *target.specs]
    command = [tool, f"-t{CONNECTIONS}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s"]
    command += ["--timeout", f"{timeout_s}s", "--latency"]
    for header in [*target.server.headers, *target.headers]:
        command += ["-H", header]
    command += ["-s", str(LUA), url, "--", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(min(1.0, seconds / 2))
    split = target.server.connection_split()
    stdout, stderr = process.communicate(timeout=seconds + timeout_s + 60)
    match = re.search(r"^BENCH-RESULT (.*)$", stdout, re.MULTILINE)
    if process.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed on {url}:\n{stdout}\n{stderr}")
    return {**json.loads(match.group(1)), "split": split}


def measure(tool: str, target: Target, *, seconds: float, warmup: float, min_requests: int) -> dict:
    """A warm-up, then a measured run of `seconds`, longer for a slow page so that it still
    answers about `min_requests` times (p99 needs samples) and lasts at least five of its
    slowest answers (wrk counts only the answers that arrive within its run): at most
    4 × `seconds` (30 s for a page that gave no answer in its warm-ups)."""
    if target.refresh:
        target.specs = target.refresh()
    if warmup:
        warm = run_wrk(tool, target, warmup)
        if not warm["requests"]:  # too slow to answer within the warm-up: warm up longer
            warm = run_wrk(tool, target, max(warmup, 10))
        rate = warm["requests"] / max(warm["duration_us"] / 1e6, 0.001)
        slowest = warm["max_us"] / 1e6 if warm["requests"] else 4 * seconds
        wanted = max(seconds, min_requests / max(rate, 0.01), 5 * slowest)
        # at least 30 s for a page that gave no answer at all in its warm-ups (a Gantt chart on
        # a busy machine): a pair needs both sides' figures
        seconds = min(max(4 * seconds, 30 if not warm["requests"] else 0), wanted)
        # Answers still in flight when wrk stopped are still being served: let them land
        # (a write's would otherwise race the next run's first write on the same row).
        target.server.wait_idle()
        if target.refresh:
            target.specs = target.refresh()
    before = target.server.cpu_ticks()
    result = run_wrk(tool, target, seconds)
    drained = target.server.wait_idle()
    # wrk stops with one request outstanding per connection, which the server still serves
    # (in the drain): the CPU until it is idle again, over the requests answered plus those.
    app_used, db_used = cpu_used(before, target.server.cpu_ticks())
    requests = int(result["requests"])
    served = requests + CONNECTIONS
    elapsed = result["duration_us"] / 1e6
    non2xx = int(result["non2xx"])
    # GET bodies are not read: an answer much smaller than the page is not the page.
    short = requests and target.size and result["bytes"] / requests < 0.9 * target.size
    if target.mode == "get" and short:
        non2xx = max(non2xx, requests)
    return {
        "rps": requests / elapsed if elapsed else 0.0,
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "non2xx": non2xx + int(result["socket_errors"]),
        "conflicts": int(result["conflicts"]),
        "requests": requests,
        "seconds": round(elapsed, 1),
        "app_cpu_ms": app_used * TICK_MS / served,
        "db_cpu_ms": db_used * TICK_MS / served,
        "split": result["split"],
        "drained_s": round(drained, 1),
    }

"""PostgreSQL unreachable: pages and /healthz answer 503 at once, and the app recovers by itself
when the database returns. Elapsed times are printed (run with -s to see them), never asserted:
timing is measured, not a pass/fail condition."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from tests.conftest import ROOT, wait_for, worker_env
from tests.factories import PASSWORD, AssetFactory, UserFactory

# PostgreSQL itself going away and coming back: about the deployment, run on PostgreSQL only.
pytestmark = pytest.mark.postgresql

MESSAGE = "The database is not reachable; roleplan retries by itself"


def free_port() -> int:
    """A port nothing listens on: connections to it are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(call):
    start = time.perf_counter()
    result = call()
    return result, (time.perf_counter() - start) * 1000


@pytest.fixture
def database_port(django_db_blocker) -> Iterator:
    """Point the default connection at another port, as when the server goes away; the real
    port is put back at the end. The app is never told: it finds out and reconnects itself."""
    conn = connections["default"]
    saved = conn.settings_dict["PORT"]

    def point_at(port) -> None:
        conn.settings_dict["PORT"] = str(port)

    with django_db_blocker.unblock():
        try:
            yield point_at
        finally:
            conn.close()
            conn.settings_dict["PORT"] = saved


@pytest.mark.django_db(transaction=True)
def test_pages_answer_503_while_postgres_refuses_and_recover_when_it_returns(database_port):
    user = UserFactory(username="priya")
    client = Client()
    client.force_login(user)
    assert client.get("/ownership/").status_code == 200
    real_port = connections["default"].settings_dict["PORT"]

    connections["default"].close()  # the server went away with the connection
    database_port(free_port())

    response, page_ms = timed(lambda: client.get("/ownership/"))
    assert response.status_code == 503
    assert MESSAGE in response.content.decode()
    assert response["Retry-After"] == "5"
    assert "no-store" in response["Cache-Control"]
    assert "script-src 'self'" in response["Content-Security-Policy"]

    partial, partial_ms = timed(lambda: client.get("/ownership/", HTTP_HX_REQUEST="true"))
    assert partial.status_code == 503

    health, health_ms = timed(lambda: client.get("/healthz"))
    assert health.status_code == 503
    assert health.json()["database"].startswith("error")

    # The sign-in page needs no database; signing in does, and says so without a 500.
    anonymous = Client()
    assert anonymous.get("/accounts/login/").status_code == 200
    sign_in = anonymous.post("/accounts/login/", {"username": "priya", "password": PASSWORD})
    assert sign_in.status_code == 503
    assert MESSAGE in sign_in.content.decode()

    database_port(real_port)  # the server is back; nobody restarts anything
    recovered, recovered_ms = timed(lambda: client.get("/ownership/"))
    assert recovered.status_code == 200
    assert client.get("/healthz").status_code == 200
    print(
        f"\nrefused database: page 503 in {page_ms:.1f} ms, htmx 503 in {partial_ms:.1f} ms, "
        f"/healthz 503 in {health_ms:.1f} ms; first page after the return {recovered_ms:.1f} ms"
    )


class TcpProxy:
    """A TCP relay to PostgreSQL that can be cut (listener closed, live connections dropped)
    and restored on the same port, like a database server that goes down and comes back."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not, and
            # the port would go on accepting.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def get(url: str, cookie: str = "") -> tuple[int, str, float]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode()
    return status, body, (time.perf_counter() - start) * 1000


@pytest.mark.django_db(transaction=True)
def test_gunicorn_answers_503_when_postgres_goes_away_and_recovers_when_it_returns(tmp_path):
    """A real server process with persistent, health-checked connections (DB_CONN_MAX_AGE)
    talking to PostgreSQL through a relay that is cut and restored."""
    db = connections["default"].settings_dict
    user = UserFactory(username="marco")
    AssetFactory(name="Release process", owner=user)
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.start()
    port = free_port()
    env = worker_env(db["NAME"])
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}",
        SECRET_KEY=settings.SECRET_KEY,  # the session cookie was signed with it
        DB_CONN_MAX_AGE="600",
        DB_CONNECT_TIMEOUT="2",
        ALLOWED_HOSTS="127.0.0.1",
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "roleplan.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--log-level",
            "warning",
            # Its own control socket: gunicorn 27's default (~/.gunicorn/gunicorn.ctl) is shared
            # by every gunicorn one user starts, and would take over another's (issue 17).
            "--control-socket",
            str(tmp_path / "gunicorn.ctl"),
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "gunicorn.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def answers() -> bool:
            try:
                return get(f"{base}/healthz")[0] == 200
            except OSError:
                return False

        wait_for(answers, timeout=60, interval=0.2)
        assert (tmp_path / "gunicorn.ctl").is_socket()  # its own, not ~/.gunicorn's
        export = f"{base}/ownership/export.csv"
        status, body, _ = get(export, cookie)
        assert status == 200
        assert "Release process" in body  # a signed-in page that reads the database

        proxy.stop()
        page_status, page_body, page_ms = get(f"{base}/", cookie)
        assert page_status == 503
        assert MESSAGE in page_body
        health_status, health_body, health_ms = get(f"{base}/healthz")
        assert health_status == 503
        assert '"database": "error' in health_body
        assert get(export, cookie)[0] == 503

        proxy.start()
        back_status, back_body, back_ms = get(export, cookie)
        assert back_status == 200
        assert body == back_body
        assert get(f"{base}/healthz")[0] == 200
        print(
            f"\ngunicorn, database cut: page 503 in {page_ms:.1f} ms, /healthz 503 in "
            f"{health_ms:.1f} ms; first page after the return {back_ms:.1f} ms"
        )
    except BaseException:
        print((tmp_path / "gunicorn.log").read_text()[-5000:])  # shown with the failure
        raise
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        proxy.stop()

"""`manage.py dbbackup` while the app writes, `dbrestore` into a fresh database: the same data.

The subject is a database of the test's own (the demo, then a writer adding rows), driven
through manage.py in subprocesses as an operator would. The writer commits one transaction
after another, each adding a user `writer-N` and renaming the group `writes` to `writes-N`, so a
backup taken in the middle must hold exactly writers 1..k and the group `writes-k` for one k
between what was committed before the backup started and after it ended: a consistent snapshot,
never half a transaction.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.conftest import ROOT, wait_for
from tests.deploy.processes import clean_environment, manage, own_name, postgres_database

WRITER = """
import os, sys, time
import django
django.setup()
from django.contrib.auth.models import Group, User
from django.db import connection, transaction

if os.environ.get("WAL_AUTOCHECKPOINT") == "0":
    # Keep every write of this run in the -wal file, as a busy server does between
    # checkpoints: a copy of the main file alone would miss all of them.
    connection.cursor().execute("PRAGMA wal_autocheckpoint=0")
Group.objects.create(name="writes-0")
n = 0
while not os.path.exists(sys.argv[1]):
    n += 1
    with transaction.atomic():
        User.objects.create(username=f"writer-{n}")
        Group.objects.filter(name__startswith="writes-").update(name=f"writes-{n}")
    print(n, flush=True)
    time.sleep(0.005)
"""

# What a database holds, as JSON: every model's rows (dumpdata), sessions aside.
DUMP = ("dumpdata", "--exclude=sessions", "--exclude=contenttypes", "--indent=0")


class AppProcess:
    """A script of the app in its own process, one connection kept open throughout; a thread
    follows the last line it printed."""

    def __init__(self, script: str, env: dict[str, str], tmp_path: Path, name: str) -> None:
        self.stop_file = tmp_path / f"stop-{name}"
        self.last = ""
        self.proc = subprocess.Popen(
            [sys.executable, "-c", script, str(self.stop_file)],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "roleplan.settings"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.thread = threading.Thread(target=self._follow, daemon=True)
        self.thread.start()

    def _follow(self) -> None:
        for line in self.proc.stdout:
            self.last = line.strip()

    def wait_for(self, predicate, timeout: float = 60) -> None:
        wait_for(lambda: predicate(self.last) or self.proc.poll() is not None, timeout=timeout)
        assert self.proc.poll() is None, self.proc.stderr.read()

    def stop(self) -> None:
        self.stop_file.touch()
        try:
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self.thread.join(timeout=10)
        assert self.proc.returncode == 0, self.proc.stderr.read()


class Writer(AppProcess):
    def __init__(self, env: dict[str, str], tmp_path: Path) -> None:
        super().__init__(WRITER, env, tmp_path, "writer")

    @property
    def committed(self) -> int:
        return int(self.last or 0)


READER = """
import json, os, sys, time
import django
django.setup()
from django.contrib.auth.models import User

while not os.path.exists(sys.argv[1]):
    print(json.dumps(list(User.objects.order_by("username").values_list("username", flat=True))), flush=True)
    time.sleep(0.05)
"""


def data(env: dict[str, str]) -> dict[str, list[dict]]:
    """Every row by model, in key order."""
    rows: dict[str, list[dict]] = {}
    for row in json.loads(manage(env, *DUMP).stdout):
        rows.setdefault(row["model"], []).append(row)
    return rows


def writers_in(rows: dict[str, list[dict]]) -> list[int]:
    return sorted(
        int(u["fields"]["username"].removeprefix("writer-"))
        for u in rows["auth.user"]
        if u["fields"]["username"].startswith("writer-")
    )


def back_up_while_writing(
    env: dict[str, str], tmp_path: Path, also=lambda: None
) -> tuple[int, int, str]:
    """The demo, then a backup while the writer runs (and `also`, right after it, the writer
    still running); returns the writes committed before the backup started and after it ended,
    and the backup's file name."""
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    writer = Writer(env, tmp_path)
    try:
        writer.wait_for(lambda last: int(last or 0) >= 50)
        before = writer.committed
        started = time.perf_counter()
        manage(env, "dbbackup", "--noinput")
        took = time.perf_counter() - started
        after = writer.committed
        also()
        writer.wait_for(lambda last: int(last or 0) >= after + 20)  # and it goes on writing
    finally:
        writer.stop()
    files = sorted(p.name for p in Path(env["BACKUP_DIR"]).iterdir() if p.suffix != ".metadata")
    assert len(files) == 1, files
    print(f"\nbackup took {took:.2f} s while {after - before} writes committed around it")
    return before, after, files[0]


def assert_restored_is_the_snapshot(source_env, restored_env, before: int, after: int) -> None:
    source, restored = data(source_env), data(restored_env)
    kept = writers_in(restored)
    k = len(kept)
    assert before <= k <= after, (before, k, after)
    assert kept == list(range(1, k + 1))  # a prefix of the writes, no gap
    assert [g["fields"]["name"] for g in restored["auth.group"]] == [f"writes-{k}"]
    assert k < len(writers_in(source))  # the source went on after the backup
    # Everything else is the same, row for row.
    later = {f"writer-{n}" for n in range(k + 1, len(writers_in(source)) + 1)}
    source["auth.user"] = [u for u in source["auth.user"] if u["fields"]["username"] not in later]
    source["auth.group"] = restored["auth.group"]
    assert restored == source
    assert sum(len(rows) for rows in restored.values()) > 300  # the demo, not an empty shell


def test_sqlite_backup_taken_while_the_app_writes_in_wal_mode_restores_the_same_data(tmp_path):
    """SQLite in WAL mode, every write of the run still in the -wal file: the online backup
    API reads them; a copy of the main file (cp) has none."""
    source_file = tmp_path / "roleplan.sqlite3"
    env = clean_environment(
        DEBUG="0",
        SECRET_KEY="backup-test",
        DATABASE_URL=f"sqlite:///{source_file}",
        BACKUP_DIR=str(tmp_path / "backups"),
        WAL_AUTOCHECKPOINT="0",
    )
    copied = tmp_path / "copied.sqlite3"

    def copy_the_file_as_cp_does() -> None:
        assert Path(f"{source_file}-wal").stat().st_size > 0  # the writes are in the log
        shutil.copyfile(source_file, copied)

    before, after, name = back_up_while_writing(env, tmp_path, also=copy_the_file_as_cp_does)

    restored_file = tmp_path / "restored.sqlite3"  # a fresh database: nothing there yet
    restored_env = {**env, "DATABASE_URL": f"sqlite:///{restored_file}"}
    manage(restored_env, "dbrestore", "--noinput", "--input-filename", name)
    assert_restored_is_the_snapshot(env, restored_env, before, after)

    copied_users = writers_in(data({**env, "DATABASE_URL": f"sqlite:///{copied}"}))
    assert copied_users == []  # every committed write of the run is missing from the copy


def test_restoring_over_a_sqlite_database_in_use_replaces_its_data(tmp_path):
    """dbrestore over a live WAL database, an app process connected to it throughout: that
    process sees the backup's data at once, nothing of the old remains, and the file is sound.
    (Writing the backup's bytes over the file would leave the process its old pages and the
    old -wal file beside the new data.)"""
    first = tmp_path / "first.sqlite3"
    env = clean_environment(
        DEBUG="0",
        SECRET_KEY="backup-test",
        DATABASE_URL=f"sqlite:///{first}",
        BACKUP_DIR=str(tmp_path / "backups"),
    )
    manage(env, "migrate", "--noinput")
    shutil.copyfile(first, tmp_path / "live.sqlite3")  # a second database (nothing open on it)
    manage(env, "createsuperuser", "--noinput", "--username=kept", "--email=k@example.com")
    manage(env, "dbbackup", "--noinput", "--output-filename=first.sqlite3")

    live_env = {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'live.sqlite3'}"}
    manage(live_env, "createsuperuser", "--noinput", "--username=gone", "--email=g@example.com")
    app = AppProcess(READER, live_env, tmp_path, "reader")
    try:
        app.wait_for(lambda last: last == '["gone"]')
        assert Path(f"{tmp_path / 'live.sqlite3'}-wal").exists()  # in use, in WAL mode
        manage(live_env, "dbrestore", "--noinput", "--input-filename=first.sqlite3")
        app.wait_for(lambda last: last == '["kept"]', timeout=10)
    finally:
        app.stop()

    assert [u["fields"]["username"] for u in data(live_env)["auth.user"]] == ["kept"]
    check = manage(live_env, "shell", "-v", "0", "-c", CHECK_INTEGRITY).stdout.split()
    assert check == ["ok", "wal"]


CHECK_INTEGRITY = (
    "from django.db import connection; c = connection.cursor(); "
    "print(c.execute('PRAGMA integrity_check').fetchone()[0]); "
    "print(c.execute('PRAGMA journal_mode').fetchone()[0])"
)


@pytest.mark.postgresql
def test_postgresql_backup_taken_while_the_app_writes_restores_the_same_data(tmp_path):
    with (
        postgres_database(own_name("backup_source")) as source_url,
        postgres_database(own_name("backup_restored")) as restored_url,
    ):
        env = clean_environment(
            DEBUG="0",
            SECRET_KEY="backup-test",
            DATABASE_URL=source_url,
            DB_CONN_MAX_AGE="0",
            BACKUP_DIR=str(tmp_path / "backups"),
        )
        before, after, name = back_up_while_writing(env, tmp_path)
        assert name.endswith(".psql.bin")  # pg_dump's custom format, restored with pg_restore
        # The cache (Redis) holds pages keyed on version numbers the restore takes back: its
        # entries go; the rest of Redis (Celery's queue) stays.
        broker = redis.Redis.from_url(settings.REDIS_URL)
        broker.set("roleplan:1:projects.plan:1:restore-probe", "stale")
        broker.set("restore-probe-not-the-cache", "kept")
        restored_env = {**env, "DATABASE_URL": restored_url, "REDIS_URL": settings.REDIS_URL}
        manage(restored_env, "dbrestore", "--noinput", "--input-filename", name)
        assert not broker.exists("roleplan:1:projects.plan:1:restore-probe")
        assert broker.getdel("restore-probe-not-the-cache") == b"kept"
        assert_restored_is_the_snapshot(env, restored_env, before, after)

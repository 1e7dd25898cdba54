"""Restores that leave nothing stale, and SQLite backups that stay right in WAL mode
(django-dbbackup's connectors, chosen in settings.DBBACKUP_CONNECTOR_MAPPING).

A restore takes the database back in time: version and revision numbers count again from where
the backup stood, and the shared cache's fragments are keyed on them (products/cards.py,
projects/overview.py, roleplan/ownership/fragments.py). So after every restore the app's cache
entries in Redis are dropped (only the cache's own keys: Celery's queue in the same Redis stays).
An in-memory cache (make run) lives in the server process: restart it after a restore.

roleplan runs SQLite in WAL mode (settings.py): committed writes live in the `-wal` file until a
checkpoint, so a copy of the main file (`cp`, or dbbackup's SqliteCPConnector) loses them.
django-dbbackup's SqliteBackupConnector already dumps through SQLite's online backup API, which
reads a consistent snapshot through SQLite itself while others keep writing. Its restore,
however, writes the backup's bytes over the database file: the live `-wal` and `-shm` files of
the old database stay beside it, and SQLite would then replay the old log into the restored
file (or find it corrupt), and any open connection keeps its stale pages.

So restoring goes through the backup API too, in the other direction: the dump is opened as a
database and copied page by page into the live one, through the same connection the app uses,
which SQLite turns into one write transaction in the log. The database is replaced as a whole
(tables the backup lacks are gone), like pg_restore --clean on PostgreSQL.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from shutil import copyfileobj
from typing import IO

import redis
from dbbackup.db.postgresql import PgDumpBinaryConnector
from dbbackup.db.sqlite import SqliteBackupConnector
from django.conf import settings
from django.core.cache import cache


def forget_cached_pages() -> None:
    """Drop the app's cache entries in Redis (the keys of the configured cache, nothing else)."""
    if not settings.REDIS_URL:
        return
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        for keys in _batches(client.scan_iter(match=cache.make_key("*"), count=1000)):
            client.delete(*keys)
    finally:
        client.close()


def _batches(keys, size: int = 1000):
    batch = []
    for key in keys:
        batch.append(key)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class PgRestoreConnector(PgDumpBinaryConnector):
    """pg_dump's custom format, restored with pg_restore --clean (inherited); then the cache."""

    def restore_dump(self, dump: IO[bytes]):
        result = super().restore_dump(dump)
        forget_cached_pages()
        return result


class SqliteOnlineConnector(SqliteBackupConnector):
    """Dump with the online backup API (inherited); restore with it as well; then the cache."""

    def restore_dump(self, dump: IO[bytes]) -> None:
        self.connection.close()  # drop what this process had open on the old contents
        self.connection.ensure_connection()
        fd, path = tempfile.mkstemp(suffix=".sqlite3")
        try:
            with os.fdopen(fd, "wb") as copy:
                copyfileobj(dump, copy)
            source = sqlite3.connect(path)
            try:
                source.backup(self.connection.connection)
            finally:
                source.close()
        finally:
            os.remove(path)
        self.connection.close()
        forget_cached_pages()

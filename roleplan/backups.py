"""Backups of a SQLite database that stay right in WAL mode, both ways (django-dbbackup).

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

from dbbackup.db.sqlite import SqliteBackupConnector


class SqliteOnlineConnector(SqliteBackupConnector):
    """Dump with the online backup API (inherited); restore with it as well."""

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

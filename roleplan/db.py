"""Prepared statements for the hottest requests (the project overview, the sync page, the asset
page, the roadmap's in-place edit): `fetch_many` runs a few statements and returns their rows.
Outside a transaction each commits by itself; the in-place edit's save is one statement (an
UPDATE and an INSERT in a WITH), so it needs no BEGIN and COMMIT of its own.

On PostgreSQL they go in one round trip (pipeline mode), each as a prepared statement. Planning
cost these pages more CPU than running the statements (0.1-4 ms per statement, measured with
EXPLAIN ANALYZE on the benchmark's data); a prepared statement is planned a few times per
connection, then runs its generic plan, and connections persist (CONN_MAX_AGE). Only these
statements are prepared: the connection's prepare_threshold is set to NEVER, so Django's own
cursors, which bind on the client, never prepare anything.

Elsewhere (SQLite under `make run`) the statements run one after the other through Django's
cursor, with the same rows.

Prepared statements live as long as the connection. After a migration that changes the columns
these statements read, restart the web processes (docker-compose.yml runs `migrate` before
`web` starts), or a kept connection could answer "cached plan must not change result type".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

NEVER = 2**62  # the psycopg connection's prepare_threshold: only what asks to be is prepared

Params = Mapping[str, Any] | Sequence[Any]


class PreparingCursor(psycopg.Cursor):
    """A cursor that binds on the server and prepares every statement (named, planned once)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def fetch_many(statements: Sequence[tuple[str, Params]]) -> list[list[tuple]]:
    """The rows of each (sql, params) statement, in order."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        results = []
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                results.append(cursor.fetchall())
        return results
    connection.close_if_health_check_failed()  # as Django's cursor() does first
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:  # Django's default: no automatic preparing; ours is explicit
        raw.prepare_threshold = NEVER
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    cursors = [wrap(PreparingCursor(raw)) for _ in statements]
    try:
        # Django's errors (a lost connection is an OperationalError, answered with 503) and its
        # bookkeeping: a connection that failed is closed before the next request uses it.
        with connection.wrap_database_errors:
            if len(cursors) == 1:  # a pipeline would cost a round trip of its own
                cursors[0].execute(*statements[0])
            else:
                with raw.pipeline():
                    for cursor, (sql, params) in zip(cursors, statements, strict=True):
                        cursor.execute(sql, params)
            results = [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()
    if connection.queries_logged:
        show_statements(connection, statements)
    return results


def show_statements(connection, statements: Sequence[tuple[str, Params]]) -> None:
    """Django's log of queries (DEBUG, tests' CaptureQueriesContext) has no text for a statement
    bound on the server: give the last ones the text the ORM would have logged."""
    logged = connection.queries_log
    for at, (sql, params) in enumerate(statements, start=len(logged) - len(statements)):
        if logged[at]["sql"] is None:
            logged[at]["sql"] = connection.ops.compose_sql(sql, params)


# Reading rows of hand-written SQL into what the ORM would have given ---------------------------


def split_row(row: Sequence[Any], *widths: int) -> list[tuple]:
    """A row of several tables' columns, cut into consecutive parts of these widths."""
    parts, start = [], 0
    for width in widths:
        parts.append(tuple(row[start : start + width]))
        start += width
    if start != len(row):
        raise ValueError(f"the row has {len(row)} columns, the parts {start}")
    return parts


def in_model_order(model, names) -> tuple[str, ...]:
    """The attnames among `names` in the model's field order: Model.from_db takes a subset of
    the fields in that order."""
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in names)


def aware(at: datetime) -> datetime:
    """A timestamp column's value as the ORM gives it: aware. SQLite's driver gives the stored
    UTC time without its zone (the ORM's converters add it; a plain cursor has none)."""
    return at if timezone.is_aware(at) else timezone.make_aware(at, UTC)

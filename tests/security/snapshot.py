"""A fingerprint of everything in the database, to prove that a request changed nothing.

One SQL statement reads, for every table, its row count and an md5 of all its rows (each row as
jsonb, sorted, so the order rows come back in does not matter), and the last value of every
sequence (an insert that was rolled back, or an insert then a delete, still moves one). Sign-in
bookkeeping is left out: sessions, django-axes' logs, the admin log and users' last_login.
"""

from __future__ import annotations

import hashlib

from django.db import connection

EXCLUDED_TABLES = frozenset(
    {
        "django_session",
        "django_admin_log",
        "axes_accessattempt",
        "axes_accessattemptexpiration",
        "axes_accesslog",
        "axes_accessfailurelog",
    }
)
IGNORED_COLUMNS = ("last_login",)

Snapshot = dict[str, tuple[int, str]]


def tables() -> list[str]:
    names = connection.introspection.table_names(include_views=False)
    return sorted(n for n in names if n not in EXCLUDED_TABLES)


def _owned_by_excluded_table(sequence: str) -> bool:
    return any(sequence.startswith(f"{table}_") for table in EXCLUDED_TABLES)


def take() -> Snapshot:
    return _take_postgresql() if connection.vendor == "postgresql" else _take_sqlite()


def _take_sqlite() -> Snapshot:
    """The same fingerprint on SQLite (make test's second pass): each table's rows read and
    hashed here, sorted; the sequences are sqlite_sequence's counters (AUTOINCREMENT tables)."""
    qn = connection.ops.quote_name
    result: Snapshot = {}
    with connection.cursor() as cursor:
        for table in tables():
            cursor.execute(f"SELECT * FROM {qn(table)}")
            columns = [c[0] for c in cursor.description]
            keep = [i for i, c in enumerate(columns) if c not in IGNORED_COLUMNS]
            rows = sorted(repr([row[i] for i in keep]) for row in cursor.fetchall())
            digest = hashlib.md5("\n".join(rows).encode(), usedforsecurity=False).hexdigest()
            result[table] = (len(rows), digest)
        # sqlite_sequence exists once a table with AUTOINCREMENT does (Django's ids are); each
        # counter is named as PostgreSQL names the id's sequence.
        cursor.execute("SELECT name, seq FROM sqlite_sequence")
        for name, seq in cursor.fetchall():
            if name not in EXCLUDED_TABLES:
                result[f"sequence {name}_id_seq"] = (seq or 0, "")
    return result


def _take_postgresql() -> Snapshot:
    qn = connection.ops.quote_name
    names = tables()
    parts = [
        f"SELECT %s, count(*), md5(coalesce(string_agg(r, E'\\n' ORDER BY r), '')) "
        f"FROM (SELECT (to_jsonb(t) - %s::text[])::text AS r FROM {qn(table)} t) AS rows"
        for table in names
    ]
    params: list = []
    for table in names:
        params += [table, list(IGNORED_COLUMNS)]
    sql = " UNION ALL ".join(parts)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        result = {name: (count, digest) for name, count, digest in cursor.fetchall()}
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()"
        )
        for name, last_value in cursor.fetchall():
            if not _owned_by_excluded_table(name):
                result[f"sequence {name}"] = (last_value or 0, "")
    return result


def differences(before: Snapshot, after: Snapshot) -> list[str]:
    """What changed, readable: `table: 12 -> 13 rows` or `table: rows changed`."""
    changes = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if old is None or new is None:
            changes.append(f"{key}: {'appeared' if old is None else 'disappeared'}")
        elif old[0] != new[0]:
            changes.append(f"{key}: {old[0]} -> {new[0]}")
        else:
            changes.append(f"{key}: rows changed")
    return changes

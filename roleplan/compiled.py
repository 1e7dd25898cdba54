"""Read queries whose SQL the ORM builds once per database connection.

Building and compiling a QuerySet costs more CPU than running a small indexed query: on the
sync page each of its reads took ~0.4 ms of ORM work for ~0.1 ms in the database, and the page
makes six; the in-place edit's column read took ~1 ms (tests/benchmarks/RESULTS.md). A
CompiledQuery is written as an ordinary values_list() QuerySet over named parameters. The first
time a connection runs it, the QuerySet is built with a placeholder value for each parameter and
compiled; every later call sends that SQL with the placeholders replaced by the real values, and
converts the rows with the ORM's own converters (dates and booleans on SQLite, for instance).
The rows are those the QuerySet itself would return: tests/alignment/test_compiled.py and
tests/products/test_board_cards.py compare them.

Parameters are integers (ids), or text compared as it is (`text=`: a choice's value, say); a
value a query needs from another row (a meeting's start, say) is read with a Subquery on that
row's id.

On PostgreSQL the statements are also prepared, and fetch() sends several in one round trip
(pipeline mode): planning cost the server more CPU than running them (the meeting's row, an
eight-table join, took ~4 ms to plan for 0.3 ms to run). A prepared statement is planned a few
times per connection, then runs its generic plan; connections persist (CONN_MAX_AGE). Only
these statements are prepared: Django's own cursors bind on the client and never prepare.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

from roleplan import db

# Placeholders: negative, so no real id and no literal of these queries can be one of them, and
# within the range of a 32-bit id (the ORM turns a lookup outside a column's range into "no
# rows" before it writes any SQL). A text parameter's placeholder starts with a NUL character,
# which no text column can hold.
PLACEHOLDER_BASE = -2_100_000_001
TEXT_PLACEHOLDER = "\x00compiled:{}"


class CompiledQuery:
    def __init__(
        self, build: Callable[..., QuerySet], *params: str, text: tuple[str, ...] = ()
    ) -> None:
        """`build(**params)` returns the values_list() QuerySet; `params` are the names of its
        integer parameters, `text` those of its text parameters."""
        self.build = build
        self.params = (*params, *text)
        self.text = frozenset(text)
        self.compiled = threading.local()  # Django's connections are per thread too

    def _compile(self, connection) -> tuple:
        placeholders = {
            TEXT_PLACEHOLDER.format(name) if name in self.text else PLACEHOLDER_BASE - n: name
            for n, name in enumerate(self.params)
        }
        queryset = self.build(**{name: value for value, name in placeholders.items()})
        query = queryset.query
        # The SQL lists extra columns, then fields, then annotations; values_list() puts them
        # back in the order asked for. Asking in the SQL's order spares that step.
        if list(queryset._fields) != [
            *query.extra_select,
            *query.values_select,
            *query.annotation_select,
        ]:
            raise ValueError("list the values in the SQL's order: fields first, annotations last")
        compiler = query.get_compiler(connection=connection)
        sql, values = compiler.as_sql()
        slots = {
            index: placeholders[value]
            for index, value in enumerate(values)
            if type(value) in (int, str) and value in placeholders
        }
        missing = set(self.params) - set(slots.values())
        if missing:
            raise ValueError(f"parameters not found in the compiled query: {sorted(missing)}")
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        # Ordering columns the SQL adds to the select list (with DISTINCT) are cut off, as the
        # ORM does.
        width = compiler.col_count if compiler.has_extra_select else None
        return sql, list(values), slots, compiler, compiler.get_converters(fields), width

    def statement(self, connection, params: dict[str, int | str]) -> tuple[str, list]:
        """The SQL and its arguments for these parameter values."""
        cache = getattr(self.compiled, "by_connection", None)
        if cache is None or cache[0] is not connection:
            cache = self.compiled.by_connection = (connection, self._compile(connection))
        sql, values, slots = cache[1][:3]
        args = list(values)
        for index, name in slots.items():
            args[index] = params[name]
        return sql, args

    def convert(self, connection, rows: list[tuple]) -> list[tuple[Any, ...]]:
        """The database's rows as the QuerySet returns them."""
        compiler, converters, width = self.compiled.by_connection[1][3:]
        if width is not None:
            rows = [row[:width] for row in rows]
        if converters:
            return [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows

    def __call__(self, **params: int | str) -> list[tuple[Any, ...]]:
        return fetch((self, params))[0]


def fetch(*calls: tuple[CompiledQuery, dict[str, int | str]]) -> list[list[tuple[Any, ...]]]:
    """The rows of each (query, parameters): on PostgreSQL prepared, in one round trip; elsewhere
    one query after the other through Django's cursor (roleplan.db.fetch_many)."""
    connection = connections[DEFAULT_DB_ALIAS]
    statements = [query.statement(connection, params) for query, params in calls]
    results = db.fetch_many(statements)
    return [
        query.convert(connection, rows) for (query, _), rows in zip(calls, results, strict=True)
    ]

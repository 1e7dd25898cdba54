"""The rows of the scope page, loaded as tuples and written in Python for speed.

A project has hundreds of deliverables; through the template engine each row is ~40 nodes, two
{% url %} and a {% csrf_token %}: tens of milliseconds per page. Here the same markup is built
with string formatting from tuples (no model instance per row): the URLs from one reverse() per
kind of URL, each value escaped once.

templates/projects/_scope_row.html is the readable definition of a row and stays the reference:
tests/projects/test_scope_page.py renders it through the template engine next to RowWriter.row
for rows in every state (editor or viewer, overdue, done, out of scope, with and without a
roadmap item, KPI, estimate and description, markup in the text, filters in the query) and
asserts the same bytes. Change both together.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape
from typing import NamedTuple

from django.utils import dateformat, formats
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from projects.models import DeliverableStatus, Moscow
from roleplan.markup import ROW_ID, csrf_input, url_pattern

STATUS_LABELS = dict(DeliverableStatus.choices)
MOSCOW_LABELS = dict(Moscow.choices)

# The columns a row shows, in ScopeRow's order.
COLUMNS = (
    "pk",
    "title",
    "description",
    "status",
    "estimate_days",
    "due_date",
    "moscow",
    "in_scope",
    "version",
    "roadmap_item__title",
    "roadmap_item__kpi__name",
)


class ScopeRow(NamedTuple):
    pk: int
    title: str
    description: str
    status: str
    estimate_days: Decimal | None
    due_date: date | None
    moscow: str
    in_scope: bool
    version: int
    roadmap_item: str | None
    kpi: str | None
    overdue: bool

    @property
    def is_done(self) -> bool:
        return self.status == DeliverableStatus.DONE

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def moscow_label(self) -> str:
        return MOSCOW_LABELS.get(self.moscow, self.moscow)


def load(deliverables, on: date) -> list[ScopeRow]:
    """The rows of a Deliverable queryset, in the scope's order (due date, start, id)."""
    done = DeliverableStatus.DONE
    return [
        ScopeRow(
            *row,
            row[7] and row[3] != done and row[5] is not None and row[5] < on,
        )
        for row in deliverables.order_by("due_date", "start_date", "id").values_list(*COLUMNS)
    ]


class RowWriter:
    """Writes the rows of one scope page: one project, one viewer, one query string."""

    def __init__(self, *, slug: str, can_edit: bool, csrf_token: str, query: str) -> None:
        self.can_edit = can_edit
        self.query = escape(query)
        self.edit_url = url_pattern("projects:deliverable_edit", slug, ROW_ID)
        self.done_url = url_pattern("projects:deliverable_done", slug, ROW_ID)
        self.csrf_input = csrf_input(csrf_token)
        self.months: dict[int, str] = {}

    def due(self, day: date | None) -> str:
        """`day|date:"j M Y"`: the month's name as the date filter translates it, looked up
        once per month (dateformat.format costs more than the rest of a row)."""
        if day is None:
            return "—"
        month = self.months.get(day.month)
        if month is None:
            month = self.months[day.month] = escape(dateformat.format(day, "M"))
        return f"{day.day} {month} {day.year:04d}"

    def row(self, d: ScopeRow) -> str:
        """templates/projects/_scope_row.html for one row."""
        pk = str(d.pk)
        title = escape(d.title)
        if self.can_edit:
            head, tail = self.edit_url
            name = f'<a href="{head}{pk}{tail}" class="item-link"><strong>{title}</strong></a>'
        else:
            name = f"<strong>{title}</strong>"
        estimate = (
            f' <small class="muted">{escape(formats.localize(d.estimate_days))} person-days</small>'
            if d.estimate_days is not None
            else ""
        )
        out = "" if d.in_scope else ' <span class="badge">Out of scope</span>'
        why = ""
        if d.roadmap_item:
            kpi = f" for KPI <em>{escape(d.kpi)}</em>" if d.kpi else ""
            why = (
                f'<div class="why">Delivers <span class="badge badge-product">'
                f"{escape(d.roadmap_item)}</span>{kpi}</div>"
            )
        description = (
            f'<div class="muted small">{escape(Truncator(d.description).chars(140))}</div>'
            if d.description
            else ""
        )
        overdue_badge = ' <span class="badge badge-bad">Overdue</span>' if d.overdue else ""
        actions = ""
        if self.can_edit:
            head, tail = self.done_url
            url = f"{head}{pk}{tail}{self.query}"
            verb, button = ("Reopen", "Reopen") if d.is_done else ("Mark done", "Done ✓")
            actions = (
                f'<td class="row-actions"><form method="post" action="{url}" hx-post="{url}" '
                'hx-target="#scope" hx-swap="outerHTML" class="inline">'
                f'{self.csrf_input}<input type="hidden" name="version" value="{d.version}">'
                f'<button class="btn btn-sm" type="submit" aria-label="{verb}: {title}">'
                f"{button}</button></form></td>"
            )
        late = ' class="is-overdue"' if d.overdue else ""
        return (
            f'<tr id="deliverable-{pk}"{late}>\n'
            f"  <td>{name} "
            f'<span class="badge moscow-{escape(d.moscow)}">{escape(d.moscow_label)}</span>'
            f"{estimate}{out}\n"
            f"    {why}\n"
            f"    {description}</td>\n"
            f'  <td data-label="Status"><span><span class="badge status-{escape(d.status)}">'
            f"{escape(d.status_label)}</span>{overdue_badge}</span></td>\n"
            f'  <td data-label="Due" class="nowrap">{self.due(d.due_date)}</td>\n'
            f"  {actions}\n"
            "</tr>\n"
        )

    def rows(self, rows: list[ScopeRow]) -> SafeString:
        return SafeString("".join([self.row(d) for d in rows]))

"""The repeated parts of the sync page, written in Python for speed.

An agenda of 60 entries is a form, a checkbox, a label, a link and details each: through the
template engine ~7 ms of a ~25 ms page, and ~0.35 ms per action item (tests/benchmarks/
RESULTS.md). Here the same markup is built with string formatting: the URLs from one reverse()
per kind, each value escaped once, and one CSRF token for the whole page (the body's hx-headers
carries the same one for htmx; the forms keep theirs for browsers without JavaScript).

The partials `agenda-entry` and `action-item` of templates/alignment/meeting.html are the
readable definition of this markup and stay the reference: tests/alignment/test_markup.py
renders them through the template engine next to these functions, for entries and items in
every state, and asserts the same bytes. Change both together.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from functools import lru_cache
from html import escape

from django.utils.dateformat import format as date_format
from django.utils.dateformat import time_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from roleplan.alignment.page import Entry, Item
from roleplan.markup import ROW_ID, csrf_input, url, url_pattern

# Where the page's CSRF input goes in memoised markup. No text can hold it: escaping leaves
# control bytes alone, but PostgreSQL refuses NUL in text and Django's forms refuse it on input.
CSRF = "\x00csrf\x00"


def meeting_urls(
    meeting_id: int, series_id: int, project_slug: str, previous_id: int | None, next_id: int | None
) -> dict[str, str]:
    """The links of a meeting's page (previous and next "" when there is none)."""
    urls = {
        name: url(f"alignment:{name}", meeting_id)
        for name in ("meeting", "refresh", "add_action", "add_decision", "notes")
    }
    urls["index"] = url("alignment:index")
    urls["series"] = url("alignment:series", series_id)
    urls["project"] = url("projects:detail", project_slug)
    for name, pk in (("previous", previous_id), ("next", next_id)):
        urls[name] = url("alignment:meeting", pk) if pk else ""
    return urls


@lru_cache(maxsize=256)
def day_month(day: date, language: str) -> str:
    """|date:"j M" in `language` (the month's abbreviation is translated)."""
    return date_format(day, "j M")


@lru_cache(maxsize=1024)
def meeting_dates(
    starts_at: datetime, ends_at: datetime, zone: tzinfo, current_zone: tzinfo, language: str
) -> tuple[str, str]:
    """(title day, heading) of the page: in the title, outside {% localtime off %},
    local_start|date:"j M" in the current time zone; in the heading, in the series' zone `zone`,
    local_start|date:"l j F", local_start|time:"H:i"–local_end|time:"H:i". Memoised: the four
    filters cost ~0.3 ms a page, and a meeting's times do not change between its requests."""
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    title = date_format(start.astimezone(current_zone), "j M")
    heading = (
        f"{date_format(start, 'l j F')}, {time_format(start, 'H:i')}–{time_format(end, 'H:i')}"
    )
    return title, heading


@lru_cache(maxsize=4096)
def entry_html(entry: Entry, mark_url: tuple[str, str]) -> str:
    """The partial agenda-entry, with the CSRF placeholder. Memoised on everything it shows: a
    changed entry is another Entry, so no stale markup can be served; 4,096 entries of ~1 KB
    bound the memory at ~4 MB per process."""
    pk = entry.pk
    title = escape(entry.title)
    head, tail = mark_url
    url = f"{head}{pk}{tail}"
    state = (" is-discussed" if entry.discussed else "") + (" is-stale" if entry.stale else "")
    link = (
        f'<a class="entry-link" href="{escape(entry.url)}" title="Open" aria-label="Open {title}">'
        "↗</a>"
        if entry.url
        else ""
    )
    detail = f'<div class="entry-detail">{escape(entry.detail)}</div>' if entry.detail else ""
    stale = (
        '<div class="entry-detail">No longer true in the live data.</div>' if entry.stale else ""
    )
    by = (
        f'<div class="entry-by">discussed · {escape(entry.discussed_by_name)}</div>'
        if entry.discussed and entry.discussed_by_id is not None
        else ""
    )
    return (
        f'\n<li id="entry-{pk}" class="entry tone-{escape(entry.tone)}{state}">\n'
        f'  <form method="post" action="{url}" hx-post="{url}" hx-trigger="change" '
        f'hx-target="#entry-{pk}" hx-swap="outerHTML" class="tick">\n'
        f"    {CSRF}\n"
        f'    <input type="checkbox" name="discussed" id="tick-{pk}" '
        f'aria-label="Discussed: {title}"{" checked" if entry.discussed else ""}>\n'
        '    <noscript><button type="submit" class="btn btn-sm">Save</button></noscript>\n'
        "  </form>\n"
        '  <div class="entry-body">\n'
        f'    <label for="tick-{pk}" class="entry-title">{title}</label>\n'
        f"    {link}\n"
        f"    {detail}\n"
        f"    {stale}\n"
        f"    {by}\n"
        "  </div>\n"
        "</li>\n"
    )


@lru_cache(maxsize=1024)
def item_html(
    item: Item, meeting_id: int, today: date, done_url: tuple[str, str], language: str
) -> str:
    """The partial action-item of meeting `meeting_id` on day `today`, with the CSRF
    placeholder; memoised on everything it shows, as entry_html."""
    pk = item.pk
    text = escape(item.text)
    head, tail = done_url
    url = f"{head}{pk}{tail}"
    late = item.due_date is not None and item.due_date < today
    state = " is-done" if item.done_at else (" is-overdue" if late else "")
    due = ""
    if item.due_date:
        badge = ' <span class="badge badge-bad">overdue</span>' if late and not item.done_at else ""
        due = f" · due {day_month(item.due_date, language)}{badge}"
    origin = (
        f" · from {day_month(item.week_start, language)}" if item.meeting_id != meeting_id else ""
    )
    return (
        f'\n<li id="action-{pk}" class="item{state}">\n'
        f'  <form method="post" action="{url}" hx-post="{url}" hx-trigger="change" '
        'hx-target="#actions" hx-swap="outerHTML" class="tick">\n'
        f"    {CSRF}\n"
        f'    <input type="checkbox" name="done" id="done-{pk}" '
        f'aria-label="Done: {text}"{" checked" if item.done_at else ""}>\n'
        '    <noscript><button type="submit" class="btn btn-sm">Save</button></noscript>\n'
        "  </form>\n"
        "  <div>\n"
        f'    <label for="done-{pk}">{text}</label>\n'
        f'    <div class="muted small">{escape(item.owner_name)}{due}{origin}</div>\n'
        "  </div>\n"
        "</li>\n"
    )


# What an empty section says (the literal texts of the partial agenda-section).
EMPTY_SECTION = {
    "status": "Nothing to report on the project.",
    "backlog": "No roadmap item was added or re-prioritised since the last sync.",
    "pipeline": "Every Now and Next item is in a project's scope.",
}
EMPTY_PROBLEMS = "No open change request, high or overdue risk, or ownership gap."


def section_html(number: int, key: str, label: str, entries_html: str) -> str:
    """The partial agenda-section, around its entries' markup."""
    if entries_html:
        body = f'\n        <ul class="entries">\n          {entries_html}\n        </ul>\n        '
    else:
        empty = EMPTY_SECTION.get(key, EMPTY_PROBLEMS)
        body = f'\n        <p class="muted small empty-section">\n          {empty}\n        </p>\n        '
    return (
        f'\n      <div class="agenda-section section-{escape(key)}">\n'
        f'        <h3><span class="section-no">{number}</span> {escape(label)}</h3>\n'
        f"        {body}\n"
        "      </div>\n      "
    )


class Writer:
    """Writes one page's agenda entries and action items, with that page's CSRF token."""

    def __init__(self, *, meeting_id: int, csrf_token: str, today: date) -> None:
        self.meeting_id = meeting_id
        self.today = today
        self.csrf = csrf_input(csrf_token)
        self.mark_url = url_pattern("alignment:mark_entry", meeting_id, ROW_ID)
        self.done_url = url_pattern("alignment:action_done", meeting_id, ROW_ID)

    def entry(self, entry: Entry) -> SafeString:
        return self.entries([entry])

    def entries(self, entries: list[Entry]) -> SafeString:
        html = "".join([entry_html(e, self.mark_url) for e in entries])
        return mark_safe(html.replace(CSRF, self.csrf))

    def sections(self, sections: list[tuple[str, str, list[Entry]]]) -> SafeString:
        """The agenda's sections, (key, label, entries) each, numbered from 1."""
        html = "".join(
            [
                section_html(
                    number, key, label, "".join([entry_html(e, self.mark_url) for e in entries])
                )
                for number, (key, label, entries) in enumerate(sections, 1)
            ]
        )
        return mark_safe(html.replace(CSRF, self.csrf))

    def item(self, item: Item) -> SafeString:
        return self.items([item])

    def items(self, items: list[Item]) -> SafeString:
        language = get_language()
        html = "".join(
            [item_html(i, self.meeting_id, self.today, self.done_url, language) for i in items]
        )
        return mark_safe(html.replace(CSRF, self.csrf))


@lru_cache(maxsize=256)
def options(choices: tuple[tuple[object, str], ...], chosen: str) -> SafeString:
    """A select's options, the chosen one selected: memoised, as the same people and change
    requests are offered on every page of a project."""
    return mark_safe(
        "".join(
            f'<option value="{escape(str(value))}"'
            f"{' selected' if chosen == str(value) else ''}>{escape(str(label))}</option>"
            for value, label in choices
        )
    )

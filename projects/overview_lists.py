"""The short lists of the project page (deliverables, milestones, change requests, risks,
baselines, the health rules) and its tables of figures (the iron triangle, the scope's and the
budget's), written in Python for speed.

Through the template engine each list item is 5-10 variable lookups, each escaped and localized
one by one: the lists and figures were two thirds of the page's rendering time (~2 ms of CPU).
Here the same markup is built with string formatting, each value escaped once.

templates/projects/_overview_lists.html holds the loops and figures as the page had them and
stays the reference: tests/projects/test_overview_lists.py renders each of its partials through
the template engine next to the function here, for items in every state (markup in the text,
missing values, each status, signs and zeros), and asserts the same bytes. Change both together.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from html import escape

from django.utils.safestring import SafeString, mark_safe

from projects import health
from projects.overview import BaselineRow, ChangeRow, Item, RiskRow
from projects.templatetags.projects_tags import money, signed, variance_class


def text(value) -> str:
    """What {{ value }} writes for a str, int or None (no thousands separator: the default)."""
    return escape(str(value))


def deliverable_links(items: list[Item], href: str, badge: str) -> SafeString:
    """Deliverables linked to their rows of the scope page (`href`: its URL and query), each
    with its due date in a badge of class `badge`, or of its status when `badge` is ""."""
    url = escape(href)
    return mark_safe(
        "".join(
            f'<li><a href="{url}#deliverable-{d.pk}">{escape(d.title)}</a> '
            f'<span class="badge {badge or f"status-{escape(d.status)}"}">'
            f"due {escape(d.due_short)}</span></li>"
            for d in items
        )
    )


def overdue_deliverables(items: list[Item], scope_url: str) -> SafeString:
    return deliverable_links(items, f"{scope_url}?overdue=1", "badge-bad")


def next_deliverables(items: list[Item], scope_url: str) -> SafeString:
    return deliverable_links(items, scope_url, "")


def next_milestones(items: list[Item], today: date) -> SafeString:
    parts = []
    for m in items:
        if m.due is not None and m.due < today:
            badge = f'<span class="badge badge-bad">overdue since {escape(m.due_short)}</span>'
        else:
            badge = f'<span class="badge">{escape(m.due_long)}</span>'
        parts.append(f"<li><span>{escape(m.title)}</span> {badge}</li>")
    return mark_safe("".join(parts))


def flagged_milestones(items: list[Item]) -> SafeString:
    return mark_safe(
        "".join(
            f'<li><div><strong>{escape(m.title)}</strong> <small class="muted">'
            f"{escape(m.due_long)}</small>"
            + "".join(
                f'<div class="flag" title="Flagged">⚑ {escape(flag)}</div>' for flag in m.flags
            )
            + "</div></li>"
            for m in items
        )
    )


def change_requests(rows: list[ChangeRow]) -> SafeString:
    parts = []
    for cr in rows:
        if cr.status == "open":
            if cr.option_count:
                badge = '<span class="badge badge-warn">Awaiting decision</span>\n        '
            else:
                badge = '<span class="badge badge-info">Awaiting options</span>\n        '
        elif cr.status == "accepted":
            badge = (
                f'<span class="badge badge-ok">Accepted: option {text(cr.chosen)}</span>\n        '
            )
        elif cr.status == "rejected":
            badge = '<span class="badge badge-bad">Rejected</span>\n        '
        else:
            badge = '<span class="badge">Withdrawn</span>'
        parts.append(
            f'\n      <li>\n        <a href="{escape(cr.url)}"><strong>{escape(cr.code)}</strong> '
            f"{escape(cr.title)}</a>\n        {badge}\n        <small>by "
            f"{escape(cr.requested_by)}, {escape(cr.requested_text)}</small>\n      </li>\n      "
        )
    return mark_safe("".join(parts))


def top_risks(rows: list[RiskRow], risks_url: str) -> SafeString:
    url = escape(risks_url)
    return mark_safe(
        "".join(
            f'\n      <li><span class="score score-{r.level}" title="probability '
            f'{text(r.probability)} × impact {text(r.impact)}">{text(r.score)}</span> '
            f'<span><a href="{url}#risk-{r.pk}"><strong>{escape(r.code)}</strong> '
            f"{escape(r.title)}</a></span> "
            + ('<span class="badge badge-bad">Review overdue</span>' if r.review_late else "")
            + "</li>\n      "
            for r in rows
        )
    )


def baselines(rows: list[BaselineRow]) -> SafeString:
    parts = []
    for b in reversed(rows):
        if b.kind == "approval":
            origin = "Approved"
        else:
            origin = (
                f'<a href="{escape(b.url)}">{escape(b.request_code)}</a>, '
                f"option {text(b.option_label)}"
            )
        parts.append(
            "\n      <li"
            + (' class="current"' if b.is_current else "")
            + f">\n        <strong>Baseline {text(b.number)}</strong>"
            + (' <span class="badge badge-ok">current</span>' if b.is_current else "")
            + f"\n        <div>{escape(b.deadline_text)} · {escape(money(b.budget, b.currency))}"
            f'</div>\n        <div class="when">{origin} by {escape(b.created_by)}, '
            f"{escape(b.created_text)}</div>\n      </li>\n      "
        )
    return mark_safe("".join(parts))


def variance(value, suffix: str = "", label: str = "Variance", mark: str = "") -> str:
    """A variance cell: its class and its signed value."""
    return (
        f'<td data-label="{label}" class="{escape(variance_class(value))}"{mark}>'
        f"{escape(signed(value))}{suffix}</td>"
    )


def triangle_rows(context: dict) -> SafeString:
    """The rows of the iron triangle's table: the project now against the current baseline,
    and the original one when it is another (nothing before approval)."""
    current, original = context["current"], context["original"]
    if current is None:
        return mark_safe("")
    project, dates = context["project"], context["dates"]
    currency = project.currency
    baseline = current.baseline
    number = text(baseline.number)
    against = f'<td data-label="Baseline {number}">'
    vs_original = "Variance vs original"
    if original is not None:
        extra = (
            f'<td data-label="Original (1)">{escape(original.baseline.deadline_text)}</td>'
            + variance(
                original.deadline_days, " days", vs_original, " data-original-deadline-variance"
            ),
            '<td class="muted hide-sm">vs deadline</td>'
            + variance(original.schedule_days, " days", vs_original),
            f'<td data-label="Original (1)">{escape(money(original.baseline.budget, currency))}</td>'
            + variance(original.budget_delta, "", vs_original, " data-original-budget-variance"),
            '<td class="muted hide-sm">vs budget</td>'
            + variance(original.cost_variance, "", vs_original),
            f'<td data-label="Original (1)">{text(original.baseline_scope)}</td>'
            f'<td data-label="Variance vs original">+{text(original.added)} / '
            f"−{text(original.removed)}</td>",
        )
    else:
        extra = ("",) * 5
    if current.added or current.removed:
        scope = f'<span class="var-warn">+{text(current.added)} / −{text(current.removed)}</span>'
    else:
        scope = '<span class="var-zero">unchanged</span>'
    rows = (
        (
            '<th scope="row">Deadline</th>',
            f'<td data-label="Now" data-now-deadline>{escape(dates["deadline"])}</td>',
            f"{against}{escape(baseline.deadline_text)}</td>",
            variance(current.deadline_days, " days"),
        ),
        (
            '<th scope="row">Forecast finish</th>',
            f'<td data-label="Now">{escape(dates["forecast"])}</td>',
            '<td class="muted hide-sm">vs deadline</td>',
            variance(current.schedule_days, " days"),
        ),
        (
            '<th scope="row">Budget</th>',
            f'<td data-label="Now" data-now-budget>{escape(money(project.budget, currency))}</td>',
            f"{against}{escape(money(baseline.budget, currency))}</td>",
            variance(current.budget_delta),
        ),
        (
            '<th scope="row">Forecast at completion</th>',
            f'<td data-label="Now">{escape(money(context["summary"].forecast, currency))}</td>',
            '<td class="muted hide-sm">vs budget</td>',
            variance(current.cost_variance),
        ),
        (
            f'<th scope="row"><a href="{escape(context["urls"]["scope"])}">Deliverables in '
            "scope</a></th>",
            f'<td data-label="Now">{text(context["in_scope_count"])}</td>',
            f"{against}{text(current.baseline_scope)}</td>",
            f'<td data-label="Variance">{scope}</td>',
        ),
    )
    cell = "\n            "
    return mark_safe(
        "".join(
            f"\n          <tr>{cell}{cell.join(row)}{cell}{more}\n          </tr>"
            for row, more in zip(rows, extra, strict=True)
        )
        + "\n        "
    )


def scope_stats(scope: dict, scope_url: str) -> SafeString:
    """The scope's four figures: done, in progress (and blocked), overdue, out of scope."""
    url = escape(scope_url)
    blocked = (
        f', <a href="{url}?status=blocked">{text(scope["blocked"])} blocked</a>'
        if scope["blocked"]
        else ""
    )
    if scope["overdue"]:
        overdue = (
            f'<div class="stat var-bad">{text(scope["overdue"])}</div><div class="stat-label">'
            f'<a href="{url}?overdue=1">overdue</a></div>'
        )
    else:
        overdue = (
            f'<div class="stat">{text(scope["overdue"])}</div><div class="stat-label">overdue</div>'
        )
    backlog = "out of scope · backlog"
    if scope["out_of_scope"]:
        backlog = f'<a href="{url}?scope=out">{backlog}</a>'
    return mark_safe(
        f'      <div><div class="stat">{text(scope["done"])}<small class="muted">/'
        f'{text(scope["in_scope"])}</small></div><div class="stat-label">done '
        f"({text(scope['percent'])}%)</div></div>\n"
        f'      <div><div class="stat">{text(scope["in_progress"])}</div>'
        f'<div class="stat-label">in progress{blocked}</div></div>\n'
        f"      <div>{overdue}</div>\n"
        f'      <div><div class="stat">{text(scope["out_of_scope"])}</div>'
        f'<div class="stat-label">{backlog}</div></div>'
    )


def moscow(scope: dict) -> SafeString:
    return mark_safe(" · ".join(f"{text(label)} {text(n)}" for label, n in scope["moscow"]))


def budget_stats(summary, currency: str) -> SafeString:
    """The budget's four figures: budget, spent, forecast and the variance."""
    if summary.variance > 0:
        verdict = "Over budget"
    elif summary.variance < 0:
        verdict = "Under budget"
    else:
        verdict = "On budget"
    return mark_safe(
        f'      <div><div class="stat">{escape(money(summary.budget))}</div>'
        f'<div class="stat-label">Budget, {escape(currency)}</div></div>\n'
        f'      <div><div class="stat">{escape(money(summary.spent))}</div>'
        f'<div class="stat-label">Spent ({text(summary.spent_percent)}%)</div></div>\n'
        f'      <div><div class="stat">{escape(money(summary.forecast))}</div>'
        '<div class="stat-label">Forecast at completion</div></div>\n'
        f'      <div><div class="stat {escape(variance_class(summary.variance))}">'
        f"{escape(signed(summary.variance))}</div>"
        f'<div class="stat-label">{verdict}</div></div>'
    )


@lru_cache(maxsize=1)
def rules() -> SafeString:
    """The health rules never change while the process runs: written once."""
    return mark_safe(
        "".join(
            f"<li><strong>{escape(str(health.LABELS[key]))}</strong> {escape(str(rule))}</li>"
            for key, rule in health.RULES
        )
    )


@lru_cache(maxsize=1)
def rule_notes() -> SafeString:
    return mark_safe("".join(f"<li>{escape(str(note))}</li>" for note in health.RULE_NOTES))


def lists(context: dict, urls: dict, today: date) -> dict[str, SafeString]:
    """Each list of the page's context, as markup: the template writes lists.<name>. The
    context is the page's: overview.overview's, with the project, its URLs and today."""
    return {
        "overdue_deliverables": overdue_deliverables(
            context["overdue_deliverables"], urls["scope"]
        ),
        "next_deliverables": next_deliverables(context["next_deliverables"], urls["scope"]),
        "next_milestones": next_milestones(context["next_milestones"], today),
        "flagged_milestones": flagged_milestones(context["flagged_milestones"]),
        "change_requests": change_requests(context["change_requests"]),
        "top_risks": top_risks(context["top_risks"], urls["risks"]),
        "baselines": baselines(context["baselines"]),
        "triangle_rows": triangle_rows(context),
        "scope_stats": scope_stats(context["scope"], urls["scope"]),
        "moscow": moscow(context["scope"]),
        "budget_stats": budget_stats(context["summary"], context["project"].currency),
        "rules": rules(),
        "rule_notes": rule_notes(),
    }

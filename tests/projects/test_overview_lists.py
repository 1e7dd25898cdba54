"""The project page's short lists, written in Python (projects/overview_lists.py), are the same
bytes as the reference loops of templates/projects/_overview_lists.html rendered by the template
engine, for items in every state: markup and quotes in the text, missing values, each status,
numbers of any size."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

from projects import health, overview_lists
from projects.overview import Against, BaselineRow, Budget, ChangeRow, Dates, Item, RiskRow

TODAY = date(2026, 10, 15)
MARKUP = "Cart & <b>checkout</b> \"quoted\" 'single'"
URLS = {"scope": "/projects/a&b/scope/", "risks": "/projects/a&b/risks/"}
dates = Dates()


def item(pk: int, title: str, due: date | None, status: str = "", flags=()) -> Item:
    return Item(
        pk,
        title,
        due,
        status,
        list(flags),
        due_short=dates.short(due),
        due_long=dates.long(due),
    )


DELIVERABLES = [
    item(1, MARKUP, date(2026, 9, 1), "in_progress"),
    item(123456, "Plain", date(2026, 12, 24), "blocked"),
    item(7, "<script>", None, "planned"),
]
MILESTONES = [
    item(1, MARKUP, date(2026, 9, 1)),
    item(2, "Today", TODAY),
    item(3, "Later & more", date(2027, 1, 2)),
    item(4, "No date", None),
]
FLAGGED = [
    item(
        1,
        MARKUP,
        date(2027, 3, 1),
        flags=["due after the project's deadline", "due before “<Go> & live”, which it depends on"],
    ),
    item(2, "One flag", date(2027, 4, 1), flags=["due after the project's deadline"]),
]
AT = datetime(2026, 10, 1, 9, 5, tzinfo=UTC)


def change(number: int, status: str, options: int = 0, chosen: str | None = None) -> ChangeRow:
    return ChangeRow(
        number,
        f"{MARKUP} {number}",
        status,
        AT,
        'Ann "A" <O>',
        options,
        chosen,
        url=f"/projects/a&b/changes/{number}/",
        requested_text=dates.short(AT),
    )


CHANGES = [
    change(1, "open"),
    change(2, "open", options=2),
    change(3, "accepted", options=2, chosen="B & <C>"),
    change(4, "accepted", options=1, chosen=None),
    change(5, "rejected", options=1),
    change(1234, "withdrawn"),
]
RISKS = [
    RiskRow(1, 1, MARKUP, 25, 5, 5, True),
    RiskRow(2, 12, "Medium", 9, 3, 3, False),
    RiskRow(30000, 1000, "Low", 4, 2, 2, False),
    RiskRow(4, 3, "Minimal", 1, 1, 1, True),
]


def baseline(number: int, kind: str, current: bool, **kw) -> BaselineRow:
    row = BaselineRow(
        pk=number,
        number=number,
        kind=kind,
        is_current=current,
        deadline=date(2027, 5, 2),
        budget=kw.pop("budget", Decimal("125000.00")),
        currency="EUR",
        created_at=AT,
        created_by=kw.pop("created_by", "Priya Patel"),
        request_number=kw.pop("request_number", None),
        option_label=kw.pop("option_label", None),
    )
    row.url = f"/projects/a&b/changes/{row.request_number}/" if row.request_number else ""
    row.deadline_text = dates.long(row.deadline)
    row.created_text = dates.stamp(row.created_at)
    return row


BASELINES = [
    baseline(1, "approval", False, created_by="<Priya> & co"),
    baseline(2, "change", False, request_number=3, option_label="A & <B>"),
    baseline(3, "change", True, request_number=12, option_label=None, budget=Decimal("-5.4")),
]

CONTEXT = {
    "urls": URLS,
    "today": TODAY,
    "overdue_deliverables": DELIVERABLES,
    "next_deliverables": DELIVERABLES,
    "next_milestones": MILESTONES,
    "flagged_milestones": FLAGGED,
    "change_requests": CHANGES,
    "top_risks": RISKS,
    "baselines": BASELINES,
    "rules": [(health.LABELS[key], text) for key, text in health.RULES],
    "rule_notes": health.RULE_NOTES,
    # the figures: see SCOPES, BUDGETS and TRIANGLES below
    "scope": dict.fromkeys(["in_scope", "out_of_scope", "done", "in_progress", "blocked"], 0)
    | dict.fromkeys(["overdue", "percent"], 0)
    | {"moscow": []},
    "summary": Budget(Decimal(0), Decimal(0), Decimal(0), Decimal(0), 0),
    "project": SimpleNamespace(budget=Decimal(0), currency="EUR"),
    "current": None,  # no triangle: see test_the_triangle_rows_are_the_template_rendered_in_python
    "original": None,
}


NAMES = list(overview_lists.lists(CONTEXT, URLS, TODAY))
FIGURES = ("triangle_rows", "scope_stats", "moscow", "budget_stats")  # tested below on their own
ITEM_LISTS = [name for name in NAMES if name not in ("rules", "rule_notes", *FIGURES)]


def reference(name: str, context: dict) -> str:
    return render_to_string(f"projects/_overview_lists.html#{name}", context)


@pytest.mark.parametrize("name", [name for name in NAMES if name not in FIGURES])
def test_each_list_is_the_template_rendered_in_python(name):
    written = overview_lists.lists(CONTEXT, URLS, TODAY)[name]
    assert written == reference(name, CONTEXT)


@pytest.mark.parametrize("name", ITEM_LISTS)
def test_each_item_alone_is_the_template_rendered_in_python(name):
    """One item at a time, so that every state is compared on its own."""
    for value in CONTEXT[name]:
        context = {**CONTEXT, name: [value]}
        assert overview_lists.lists(context, URLS, TODAY)[name] == reference(name, context)


@pytest.mark.parametrize("name", ITEM_LISTS)
def test_empty_lists_write_nothing(name):
    context = {**CONTEXT, name: []}
    assert overview_lists.lists(context, URLS, TODAY)[name] == "" == reference(name, context)


def test_the_lists_are_safe_markup():
    for written in overview_lists.lists(CONTEXT, URLS, TODAY).values():
        assert hasattr(written, "__html__")
        assert "<script>" not in written


def against(**kw) -> Against:
    values = {
        "baseline": BASELINES[2],
        "deadline_days": 12,
        "budget_delta": Decimal("-2500.00"),
        "schedule_days": None,
        "cost_variance": Decimal("0"),
        "added": 3,
        "removed": 0,
        "baseline_scope": 1200,
    }
    values.update(kw)
    return Against(**values)


TRIANGLES = {
    "no original": (against(), None),
    "late, over budget, unchanged scope": (
        against(
            deadline_days=-3,
            schedule_days=40,
            budget_delta=Decimal("0"),
            cost_variance=Decimal("1234567.89"),
            added=0,
            removed=0,
        ),
        None,
    ),
    "with the original": (
        against(removed=2, schedule_days=-1),
        against(
            baseline=BASELINES[0],
            deadline_days=0,
            budget_delta=Decimal("10"),
            schedule_days=5,
            cost_variance=Decimal("-1"),
            added=0,
            removed=0,
        ),
    ),
    "before approval": (None, None),
}


@pytest.mark.parametrize("state", list(TRIANGLES))
def test_the_triangle_rows_are_the_template_rendered_in_python(state):
    current, original = TRIANGLES[state]
    context = {
        **CONTEXT,
        "current": current,
        "original": original,
        "project": SimpleNamespace(budget=Decimal("130000"), currency="EUR"),
        "summary": Budget(Decimal(1), Decimal(2), Decimal(3), Decimal("-99.5"), 4),
        "dates": {"deadline": "2 May 2027", "forecast": "—"},
        "in_scope_count": 1234,
    }
    written = overview_lists.lists(context, URLS, TODAY)["triangle_rows"]
    assert written == (reference("triangle_rows", context) if current else "")


def scope(**kw) -> dict:
    values = {
        "in_scope": 226,
        "out_of_scope": 74,
        "done": 70,
        "in_progress": 12,
        "blocked": 3,
        "open": 156,
        "overdue": 14,
        "percent": 31,
        "moscow": [("Must", 100), ("Should", 1000), ("Could", 0)],
    }
    values.update(kw)
    return values


SCOPES = [
    scope(),
    scope(in_scope=0, out_of_scope=0, done=0, in_progress=0, blocked=0, overdue=0, percent=0),
    scope(blocked=0, overdue=0, out_of_scope=1234),
]
BUDGETS = [
    Budget(Decimal("125000"), Decimal("100000"), Decimal("25000.50"), Decimal("130000"), 32),
    Budget(Decimal("1000"), Decimal("0"), Decimal("0"), Decimal("999.49"), 0),
    Budget(Decimal("0"), Decimal("0"), Decimal("0"), Decimal("0"), 0),
]


@pytest.mark.parametrize("index", range(len(SCOPES)))
@pytest.mark.parametrize("name", ["scope_stats", "moscow"])
def test_the_scope_figures_are_the_template_rendered_in_python(name, index):
    context = {**CONTEXT, "scope": SCOPES[index]}
    written = overview_lists.lists(context, URLS, TODAY)[name]
    assert written == reference(name, context)


@pytest.mark.parametrize("index", range(len(BUDGETS)))
def test_the_budget_figures_are_the_template_rendered_in_python(index):
    context = {**CONTEXT, "summary": BUDGETS[index], "project": SimpleNamespace(currency="<€>")}
    written = overview_lists.lists(context, URLS, TODAY)["budget_stats"]
    assert written == reference("budget_stats", context)

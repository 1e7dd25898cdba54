"""The dates roleplan accepts: 1 Jan 1900 to 31 Dec 2200, for every date a person types.

Python's dates end at 9999-12-31 and begin at 0001-01-01, and the app computes with the dates
it stores (a day after a deadline for a calendar event, the month after a cost, a timeline's
margins, a KPI due months after launch): a milestone due 9999-12-31 made the timeline, the
.ics export and the calendar feed fail. Three centuries leave every real plan and history room
and keep any such arithmetic centuries away from Python's ends.

One rule, in three places that share it:
- `validate_date_in_range`, the validator of every such model field (ModelForms and full_clean
  run it) and of `DateField`, the form field of the forms that are not ModelForms;
- `in_range(field)`, the condition of each table's check constraint (the database's last line);
- the migrations that added the constraints moved rows stored outside to the nearest bound.

A core module: it imports no app.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, Q

EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
OUT_OF_RANGE = "Give a date between 1 Jan 1900 and 31 Dec 2200."
# The date picker's range: the min and max attributes of a date input declared by hand.
PICKER_RANGE = {"min": EARLIEST.isoformat(), "max": LATEST.isoformat()}


def validate_date_in_range(value: date | None) -> None:
    if value is not None and not EARLIEST <= value <= LATEST:
        raise ValidationError(OUT_OF_RANGE, code="date_out_of_range")


def in_range(field: str) -> Q:
    """The check constraint's condition. A NULL passes a CHECK in SQL (and Django's own
    validation of the constraint), so optional dates need nothing more."""
    return Q(**{f"{field}__gte": EARLIEST, f"{field}__lte": LATEST})


def outside(fields: list[str]) -> Q:
    """Rows with any of these dates outside the range."""
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__lt": EARLIEST}) | Q(**{f"{name}__gt": LATEST})
    return condition


def clamp_stored(
    model: type[Model], fields: list[str], *, after: tuple[str, str] | None = None
) -> int:
    """For the migrations that add the constraints: move each date stored outside the range to
    the nearest bound, row by row (few rows, each with every date in one UPDATE, so a rule
    between two of them holds throughout). `after` = (start, end) keeps `end` strictly after
    `start` when both land on one bound. Returns how many rows moved.

    Clamped rather than refused: nobody plans for 9999 or looked back to year 1, such a date is
    a typo or a "someday", the bound keeps its meaning (far future, long ago), and a deployment
    is not stopped by one row. A KPI with two measurements landing on one day still stops the
    migration (its unique constraint): which value is right is for a person to say."""
    rows = list(model._default_manager.filter(outside(fields)).values("pk", *fields))
    for row in rows:
        values = {name: row[name] and min(max(row[name], EARLIEST), LATEST) for name in fields}
        if after and values[after[0]] and values[after[1]] and values[after[1]] <= values[after[0]]:
            start, end = after
            if values[start] == LATEST:
                values[start] = LATEST - timedelta(days=1)
            else:
                values[end] = values[start] + timedelta(days=1)
        model._default_manager.filter(pk=row["pk"]).update(**values)
    return len(rows)


class DateField(forms.DateField):
    """A form's date in range; the browser's date picker is told the range too."""

    default_validators = [validate_date_in_range]

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.DateInput):
            attrs.update(PICKER_RANGE)
        return attrs

"""Editable rows: one versioned base model, one compare-and-set, one stale-edit error.

Every row a person edits in a form carries a `version`. A save names the version the person
loaded; `lock_for_edit` reads the row with `select_for_update` and refuses the save with
`StaleEdit` when someone else saved first, so no update is lost. `StaleEdit` carries the row as
it is now and what the person submitted, so the page can show both side by side
(`templates/_conflict.html`) and keep the input: the form is shown again with the current
version, and saving again applies the person's values on purpose.

Used by every app (ownership, products, projects, alignment) and by the API: one mechanism.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import (
    bulk_create_with_history,
    bulk_update_with_history,
    get_history_manager_for_model,
)

from roleplan.people import display_name


class Versioned(models.Model):
    """A row edited by people: its version, who saved it last and when.

    A subclass that declares its own `Meta.constraints` keeps this one with
    `constraints = [*Versioned.Meta.constraints, ...]`."""

    version = models.PositiveIntegerField(default=1, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(version__gte=1), name="%(app_label)s_%(class)s_version_positive"
            )
        ]


@dataclass(frozen=True)
class Difference:
    """One field where the saved row and the person's input differ, as a person reads them."""

    field: str
    label: str
    saved: str
    yours: str


class StaleEdit(Exception):
    """A save based on a version that is no longer the row's.

    `current` is the row as saved now; `submitted` what the person sent (model field names to
    values); `changes` optionally lists the saves made since the person's version (a history
    row per save, each with `by`, `at` and `changes`: rows of `label`, `old`, `new`)."""

    def __init__(
        self,
        current: models.Model,
        submitted: Mapping[str, Any] | None = None,
        *,
        changed_by: Any = ...,
        changed_at: datetime | None | Any = ...,
        changes: Iterable[Any] = (),
    ) -> None:
        self.current = current
        self.submitted = dict(submitted or {})
        self.changed_by = getattr(current, "updated_by", None) if changed_by is ... else changed_by
        self.changed_at = getattr(current, "updated_at", None) if changed_at is ... else changed_at
        self.changes = list(changes)
        super().__init__(f"{type(current).__name__} {current.pk} was changed by someone else")

    @property
    def differences(self) -> list[Difference]:
        return differences(self.current, self.submitted)


def lock_for_edit(
    model: type[models.Model] | models.QuerySet,
    pk: Any,
    version: int,
    submitted: Mapping[str, Any] | None = None,
    *,
    version_field: str = "version",
) -> Any:
    """The row, locked until the transaction ends; StaleEdit when its version is not `version`.
    Call inside `transaction.atomic`."""
    queryset = model if isinstance(model, models.QuerySet) else model._default_manager.all()
    row = queryset.select_for_update().get(pk=pk)
    if getattr(row, version_field) != version:
        raise StaleEdit(row, submitted)
    return row


def save_edit(
    row: models.Model,
    data: Mapping[str, Any],
    *,
    by: Any,
    version_field: str = "version",
    by_field: str = "updated_by",
) -> list[str]:
    """Apply `data` to a row from lock_for_edit, count its version up and save only what
    changed. Returns the names of the fields written."""
    for name, value in data.items():
        setattr(row, name, value)
    setattr(row, version_field, getattr(row, version_field) + 1)
    setattr(row, by_field, by)
    row._history_user = by  # the history row's author (roleplan/activity/history.py)
    written = [*data.keys(), version_field, by_field]
    auto_now = [f.name for f in row._meta.concrete_fields if getattr(f, "auto_now", False)]
    row.save(update_fields=[*written, *(name for name in auto_now if name not in written)])
    return written


# History: every write a person makes leaves a history row with its author -------------------
# save_edit above names the author of the row it saves; these are the other service writes.
# Which models keep a history is decided in roleplan/activity/history.py; a model that keeps
# none is written the same way, without one.


def _keeps_history(model: type[models.Model]) -> bool:
    try:
        get_history_manager_for_model(model)
    except NotHistoricalModelError:
        return False
    return True


def keep_first_copy(row: models.Model) -> None:
    """For a row made in bulk, so without a history copy, that a person is about to edit: a
    copy of it as it is now (dated at its creation, by no one), so the edit's history says what
    it changed from."""
    if not _keeps_history(type(row)):
        return
    history = get_history_manager_for_model(type(row)).model
    if history._default_manager.filter(id=row.pk).exists():
        return
    copied = {
        f.attname: getattr(row, f.attname)
        for f in history._meta.concrete_fields
        if not f.name.startswith("history_") and hasattr(row, f.attname)
    }
    history._default_manager.create(
        **copied,
        history_date=getattr(row, "created_at", None) or timezone.now(),
        history_type="+",
    )


def save_fields(row: models.Model, fields: Iterable[str], *, by: Any) -> None:
    """Save some fields of a row that has no version (a change request's status), by `by`."""
    row._history_user = by
    row.save(update_fields=list(fields))


def create_rows(
    model: type[models.Model],
    rows: Iterable[models.Model],
    *,
    by: Any,
    ignore_conflicts: bool = False,
) -> list:
    """bulk_create, with a history row ("created", by `by`) for each row. With
    `ignore_conflicts`, rows a unique constraint drops are not created; the rows returned (and
    given a history row) are those found in the database with the values given."""
    rows = list(rows)
    if not _keeps_history(model):
        return model._default_manager.bulk_create(rows, ignore_conflicts=ignore_conflicts)
    return bulk_create_with_history(rows, model, default_user=by, ignore_conflicts=ignore_conflicts)


def edit_rows(
    queryset: models.QuerySet,
    data: Mapping[str, Any],
    *,
    by: Any,
    at: datetime | None = None,
    version_field: str = "version",
    by_field: str = "updated_by",
) -> list:
    """The same change to several versioned rows at once (a decision taking deliverables out of
    scope): each row's version counted up, `by` recorded, a history row each. Call inside
    `transaction.atomic`; the rows are locked first."""
    model = queryset.model
    at = at or timezone.now()
    rows = list(queryset.select_for_update().order_by("pk"))
    for row in rows:
        for name, value in data.items():
            setattr(row, name, value)
        setattr(row, version_field, getattr(row, version_field) + 1)
        setattr(row, by_field, by)
        row.updated_at = at
    fields = [*data.keys(), version_field, by_field, "updated_at"]
    if not rows:
        return rows
    if _keeps_history(model):
        bulk_update_with_history(rows, model, fields, default_user=by, default_date=at)
    else:
        model._default_manager.bulk_update(rows, fields)
    return rows


# How a value reads on the conflict page ---------------------------------------------------------


def shown(row: models.Model, name: str, value: Any = ...) -> str:
    """A field's value as a person reads it: choice labels, names of people and related rows,
    numbers without trailing zeros, ISO dates."""
    if value is ...:
        value = getattr(row, name)
    try:
        model_field = row._meta.get_field(name)
    except FieldDoesNotExist:  # a form-only field
        model_field = None
    if value is None or value == "":
        return "—"
    if model_field is not None and getattr(model_field, "choices", None):
        for key, label in model_field.flatchoices:
            if str(key) == str(value):
                return str(label)
    if isinstance(value, models.Manager):
        value = list(value.all())
    if isinstance(value, list | tuple | set | frozenset | models.QuerySet):
        names = sorted(shown_one(v) for v in value)
        return ", ".join(names) if names else "—"
    return shown_one(value)


def shown_one(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if hasattr(value, "get_full_name") and hasattr(value, "get_username"):
        return display_name(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def differences(row: models.Model, submitted: Mapping[str, Any]) -> list[Difference]:
    """The fields where the saved row and the submitted values read differently."""
    result = []
    for name, value in submitted.items():
        if name == "version":
            continue
        saved, yours = shown(row, name), shown(row, name, value)
        if saved == yours:
            continue
        try:
            label = str(row._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:  # a form-only field
            label = name.replace("_", " ")
        result.append(Difference(name, label[:1].upper() + label[1:], saved, yours))
    return result

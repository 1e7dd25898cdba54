"""Unique names and addresses under concurrent writes: one way for every create and rename.

A form checks that a name is free before saving, but two people (or API clients, or an import)
sending the same name at once both pass that check; the database's unique constraint then
refuses the second insert with IntegrityError, which would be a 500. Here:

- `Unique` names one rule of a model as a person meets it: the constraint (a name from
  `Meta.constraints`, or a field with `unique=True`), the form field its error belongs to and
  the message.
- `unique_or_error(instance, *rules)` runs a save in a savepoint. When the database refuses it,
  the rules are checked again against the rows saved now (Django's own constraint validation:
  one query per rule, the same on SQLite and PostgreSQL; PostgreSQL raises a unique violation
  only once the other transaction has committed, so its row is there to be found). A broken
  rule becomes a ValidationError by field, which pages put next to the field and the API
  answers as a 422 problem; any other IntegrityError stays what it is.
  The usual case (a name taken long ago) takes the same path, so it says the same thing;
  forms may check first to show the error with the others.
- Addresses made from a name (`free_slug`, `save_with_free_slug`) are not the person's choice:
  two names that slugify alike, saved at once, get the next free address instead of an error.

A core module: it imports no app; the apps pass their models and messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.text import slugify

# A create that loses this many races for an address in a row gives up (with a field error):
# each lost race means someone else took an address, so this is far beyond any real load.
SLUG_ATTEMPTS = 50


@dataclass(frozen=True)
class Unique:
    """One unique rule of a model, as a form shows it."""

    constraint: str  # a UniqueConstraint's name in Meta.constraints, or a unique field's name
    field: str  # the form field the message goes next to
    message: str


def constraint_of(model: type[models.Model], name: str) -> models.UniqueConstraint:
    for constraint in model._meta.constraints:
        if constraint.name == name and isinstance(constraint, models.UniqueConstraint):
            return constraint
    field = model._meta.get_field(name)  # FieldDoesNotExist: a rule naming nothing is a bug
    if not getattr(field, "unique", False):
        raise ValueError(f"{model.__name__}.{name} is neither a unique constraint nor unique.")
    return models.UniqueConstraint(fields=[name], name=f"{model._meta.db_table}_{name}_unique")


def broken(instance: models.Model, rules: Iterable[Unique]) -> dict[str, list[str]]:
    """The rules `instance` breaks against the rows saved now, by form field."""
    model = type(instance)
    errors: dict[str, list[str]] = {}
    for rule in rules:
        try:
            constraint_of(model, rule.constraint).validate(model, instance)
        except ValidationError:
            errors.setdefault(rule.field, []).append(rule.message)
    return errors


@contextmanager
def unique_or_error(instance: models.Model, *rules: Unique) -> Iterator[None]:
    """Run the block that saves `instance` in a savepoint; if the database refuses it because
    another write took one of its unique values meanwhile, raise ValidationError by field (the
    rest of the caller's transaction is intact, and rolled back by the error)."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        errors = broken(instance, rules)
        if not errors:
            raise
        raise ValidationError(errors) from exc


def free_slug(
    model: type[models.Model], name: str, *, fallback: str, reserved: Iterable[str] = ()
) -> str:
    """An address made from `name` that no row of `model` has yet: name, name-2, name-3, …"""
    base = slugify(name)[:200] or fallback
    if base in set(reserved):
        base = f"{base}-{fallback}"
    slug, n = base, 2
    while model._default_manager.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def save_with_free_slug(
    instance: models.Model, name: str, *, fallback: str, reserved: Iterable[str] = ()
) -> None:
    """Insert `instance` with an address made from `name`; when a concurrent insert took that
    address first, take the next free one and try again. Other IntegrityErrors (a unique name,
    say) propagate for the caller's `unique_or_error`."""
    model = type(instance)
    for _ in range(SLUG_ATTEMPTS):
        instance.slug = free_slug(model, name, fallback=fallback, reserved=reserved)
        try:
            with transaction.atomic():
                instance.save(force_insert=True)
        except IntegrityError:
            if not model._default_manager.filter(slug=instance.slug).exists():
                raise
        else:
            return
    raise ValidationError({"slug": "Too many saves at once took this address: try again."})

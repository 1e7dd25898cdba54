"""The handover picker's options, written in Python: the asset page shows every active person,
and ~45 options through the template engine were a third of the page's rendering time."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from roleplan.people import display_name

register = template.Library()


@register.simple_tag
def person_options(people: list[tuple[str, str]], exclude, chosen) -> SafeString:
    """<option>s for (value, label) pairs from forms.people_choices, without `exclude` (the
    current owner), with `chosen` (the value the form was given) selected."""
    exclude = "" if exclude is None else str(exclude)
    chosen = "" if chosen is None else str(chosen)
    return mark_safe(  # noqa: S308 - every value and label is escaped here
        "".join(
            f'\n        <option value="{escape(value)}"{" selected" if value == chosen else ""}>'
            f"{escape(label)}</option>"
            for value, label in people
            if value != exclude
        )
    )


@register.simple_tag
def person(user) -> SafeString:
    """A person's name, marked when the account is deactivated (an ownerless asset's owner).
    Written in Python: the registry shows two per row."""
    if user is None:
        return mark_safe('<span class="muted">—</span>')
    name = escape(display_name(user))
    if user.is_active:
        return mark_safe(f'<span class="person">{name}</span>')  # noqa: S308 - escaped above
    return mark_safe(  # noqa: S308 - escaped above
        f'<span class="person person-inactive">{name} <span class="badge badge-bad" '
        f'title="This account is deactivated">deactivated</span></span>'
    )

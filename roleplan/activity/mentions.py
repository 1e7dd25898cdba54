"""@mentions: who a comment names, whether they may see what it is about, and suggestions.

A mention is `@` and a username (letters, digits and . + - _, as Django's usernames), not
preceded by a word character, so an email address (ana@example.com) is no mention. Naming
someone who does not exist or cannot see the object refuses the comment with a message: a
person must never be pointed at a sync meeting they are not part of.
"""

from __future__ import annotations

import re
from functools import reduce
from operator import or_

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from roleplan.activity.targets import Target
from roleplan.people import display_name

MENTION = re.compile(r"(?<![\w.@/])@([\w.+-]*\w)")
MAX_MENTIONS = 20
SUGGESTIONS = 8


def usernames(text: str) -> list[str]:
    """The usernames `text` mentions, each once, in order."""
    seen: dict[str, None] = {}
    for name in MENTION.findall(text or ""):
        seen.setdefault(name, None)
    return list(seen)


def mentioned_people(target: Target, obj: models.Model, text: str) -> list[User]:
    """The people `text` mentions; ValidationError naming each who does not exist or may not
    see `obj`."""
    names = usernames(text)
    if not names:
        return []
    if len(names) > MAX_MENTIONS:
        raise ValidationError({"body": f"Mention at most {MAX_MENTIONS} people in one comment."})
    matching = reduce(or_, (Q(username__iexact=name) for name in names))
    found = {u.username.lower(): u for u in User.objects.filter(matching)}
    allowed = set(
        User.objects.filter(target.viewers(obj), pk__in=[u.pk for u in found.values()]).values_list(
            "pk", flat=True
        )
    )
    errors, people = [], []
    noun = target.label.lower()
    for name in names:
        person = found.get(name.lower())
        if person is None:
            errors.append(f"No one is called @{name}: check the name in the suggestions.")
        elif person.pk not in allowed:
            errors.append(
                f"@{name} ({display_name(person)}) cannot see this {noun}, so they were not "
                "mentioned: remove the mention, or ask someone who can give them access."
            )
        else:
            people.append(person)
    if errors:
        raise ValidationError({"body": errors})
    return people


def suggestions(target: Target, obj: models.Model, prefix: str) -> list[User]:
    """Up to SUGGESTIONS people who may see `obj` whose username or name starts with `prefix`."""
    prefix = prefix.strip().lstrip("@")
    people = User.objects.filter(target.viewers(obj))
    if prefix:
        people = people.filter(
            Q(username__istartswith=prefix)
            | Q(first_name__istartswith=prefix)
            | Q(last_name__istartswith=prefix)
        )
    return list(
        people.order_by("first_name", "last_name", "username").only(
            "username", "first_name", "last_name"
        )[:SUGGESTIONS]
    )

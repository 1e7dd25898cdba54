"""How roleplan names a person everywhere: the full name, or the username when there is none."""

from __future__ import annotations


def display_name(user) -> str:
    """A user's name as pages, exports, calendars and e-mails show it."""
    return user.get_full_name() or user.get_username()

"""How roleplan names a person everywhere: the full name, or the username when there is none."""

from __future__ import annotations


def display_name(user) -> str:
    """A user's name as pages, exports, calendars and e-mails show it."""
    return user.get_full_name() or user.get_username()


def name_of(first: str | None, last: str | None, username: str | None) -> str:
    """display_name() of a user read as columns by plain SQL; "" when there is no such user (a
    LEFT JOIN that found no row)."""
    if username is None:
        return ""
    return f"{first} {last}".strip() or username

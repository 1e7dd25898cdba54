"""What the top bar needs on every page: the search address and the unread count, read from the
cache only (notifications.cached_unread). Without a cached count the link loads it after the
page, so no page pays a query for the top bar."""

from __future__ import annotations

import functools
from functools import cached_property

from django.urls import get_script_prefix, reverse

from roleplan.activity import notifications


@functools.cache
def urls(script_prefix: str) -> dict[str, str]:
    # Keyed on the script prefix, which is what reverse() depends on: the URLconf is fixed.
    return {
        "search": reverse("activity:search"),
        "inbox": reverse("activity:inbox"),
        "badge": reverse("activity:badge"),
    }


class InboxBadge:
    """The unread count, looked up when the top bar is drawn (None: load it after the page)."""

    def __init__(self, user) -> None:
        self.user = user

    @cached_property
    def count(self) -> int | None:
        if self.user is None or not self.user.is_authenticated:
            return None
        return notifications.cached_unread(self.user.pk)


def top_bar(request) -> dict:
    return {
        "activity_urls": urls(get_script_prefix()),
        "inbox": InboxBadge(getattr(request, "user", None)),
    }

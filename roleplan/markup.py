"""What the pages written in Python (the roadmap board, the scope rows, the sync page, the asset
page) share with the templates they stand in for: `{% url %}` and `{% csrf_token %}`."""

from __future__ import annotations

from functools import lru_cache
from html import escape

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


def url(name: str, *args: object) -> str:
    """reverse(name, args=args), memoised: an object's URLs do not change while the process runs
    (the key holds the URLconf and the script prefix, which could). A {% url %} tag costs a
    reverse() each time, ~30 µs."""
    return _url(name, args, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@lru_cache(maxsize=4096)
def _url(name: str, args: tuple, urlconf: str, prefix: str) -> str:
    return reverse(name, args=args, urlconf=urlconf)


# An id no real row has (the largest 32-bit id): reversed into a URL, then cut out of it.
ROW_ID = 2_147_483_647


def url_pattern(name: str, *args: object, escaped: bool = True) -> tuple[str, str]:
    """The URL `name` for any row: reversed with ROW_ID among `args`, as the text before and
    after it, so that a row's URL is head + its id + tail. HTML-escaped unless `escaped` is
    False (for a URL the template engine escapes)."""
    text = url(name, *args)
    head, tail = (escape(text) if escaped else text).split(str(ROW_ID))
    return head, tail


def csrf_input(token: str) -> str:
    """{% csrf_token %}"""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">'

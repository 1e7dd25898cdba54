"""What base.html needs on every page, computed once per process where it never changes."""

from __future__ import annotations

import functools

from django.urls import get_script_prefix, reverse

NAV = {
    "dashboard": "dashboard",
    "products": "products:index",
    "projects": "projects:index",
    "ownership": "ownership:index",
    "alignment": "alignment:index",
    "profile": "alignment:profile",
    "password_change": "password_change",
    "admin": "admin:index",
    "logout": "logout",
}


@functools.cache
def nav_urls(script_prefix: str) -> dict[str, str]:
    # Keyed on the script prefix, which is what reverse() depends on: the URLconf is fixed.
    return {key: reverse(name) for key, name in NAV.items()}


def navigation(request) -> dict:
    """The top bar's links: eight reverse() calls on every page before, one dict lookup now."""
    return {"nav": nav_urls(get_script_prefix())}

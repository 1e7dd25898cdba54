"""The registry's rows, each rendered once per state and kept in the configured cache.

A profile of the registry (50 rows a page, PostgreSQL, the test client) showed the rows'
rendering as its hot region: ~0.3 ms a row through the template engine, more than half of the
page's CPU. So each row's HTML (the partial asset-row of templates/ownership/index.html, the one
markup of a row) is cached under a key made of everything the row shows:

- the asset's (pk, version), its updated_at (a save that does not count the version up, as
  confirming does, still moves it; and a pk reused after a database is restored comes with
  another timestamp) and its confirmation time;
- the gaps computed for this request (time passing, a deactivated owner, a project's manager);
- the owner's and deputy's names and whether their accounts are active;
- whether the viewer may hand the asset over (the row's button);
- the time zone and language, the settings the row prints, and the source of its templates.

A write to any of these changes the key, so a row is never shown stale; keys that are no longer
asked for expire. The handover's own answers (a row with a message or a form) are not cached.
"""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.template import RequestContext
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from roleplan.http import HttpRequest
from roleplan.ownership import extensions
from roleplan.ownership.models import Asset

ROW = "ownership/index.html#asset-row"
# The templates a row is made of: their source is part of every key, so a deploy that changes
# them never serves a row in the old markup.
ROW_TEMPLATES = (
    "ownership/index.html",
    "ownership/_person.html",
    "ownership/_confirm.html",
    "ownership/_gaps.html",
)
TIMEOUT = 7 * 24 * 3600


@functools.cache
def templates_stamp() -> str:
    sources = "\0".join(get_template(name).template.source for name in ROW_TEMPLATES)
    return hashlib.sha256(sources.encode()).hexdigest()[:16]


def shown_person(user) -> tuple | None:
    if user is None:
        return None
    return (user.pk, user.username, user.first_name, user.last_name, user.is_active)


def may_hand_over(user, asset: Asset) -> bool:
    return user.is_staff or asset.owner_id == user.pk


def row_key(asset: Asset, *, user, context: tuple) -> str:
    """The cache key of an asset's row as `user` sees it; `context` is page_context()."""
    shown = (
        asset.pk,
        asset.version,
        asset.updated_at.isoformat(),
        asset.confirmed_at,
        tuple(asset.gaps),
        shown_person(asset.owner),
        shown_person(asset.deputy),
        may_hand_over(user, asset),
        context,
    )
    return "ownership:row:" + hashlib.sha256(repr(shown).encode()).hexdigest()


def page_context() -> tuple:
    rule = extensions.role_conflict_rule()
    return (
        templates_stamp(),
        timezone.get_current_timezone_name(),
        translation.get_language(),
        settings.OWNERSHIP_CONFIRM_DAYS,
        rule.summary if rule else "",
    )


def registry_rows(request: HttpRequest, assets: list[Asset], row_context: dict) -> SafeString:
    """The rows of `assets` (from Asset.objects.for_list()) as the partial asset-row renders
    them for this request, from the cache where it has them; `row_context` is what the partial
    needs besides the asset (confirm_days, role_conflict_summary)."""
    context = page_context()
    keys = [row_key(asset, user=request.user, context=context) for asset in assets]
    found = cache.get_many(keys)
    missing = [(key, asset) for key, asset in zip(keys, assets, strict=True) if key not in found]
    if missing:
        found.update(rendered := render_rows(request, missing, row_context))
        cache.set_many(rendered, timeout=TIMEOUT)
    # Each row is the template's output (escaped there), kept as text in the cache.
    return mark_safe("".join(found[key] for key in keys))  # noqa: S308


def render_rows(
    request: HttpRequest, missing: list[tuple[str, Asset]], row_context: dict
) -> dict[str, str]:
    """Render the partial for each asset in one bound context (the context processors run once,
    not once a row)."""
    template = get_template(ROW).template
    context = RequestContext(request, row_context)
    with context.bind_template(template):
        rendered = {}
        for key, asset in missing:
            with context.push(asset=asset):
                rendered[key] = template.render(context)
    return rendered

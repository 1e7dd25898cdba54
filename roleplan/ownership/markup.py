"""The asset page's regions written in Python, for speed.

Through the template engine the accountability, handover and history regions cost ~2.2 ms of
CPU per page (tests/benchmarks/RESULTS.md): ~150 nodes, three includes, ten date formats and
four reverse() calls for 10 KiB of HTML. Here the same markup is built with string formatting,
each value escaped once, the dates formatted through the same filters (memoised: a handover's
time never changes) and the URLs reversed once.

The partials accountability, handover-panel and history of templates/ownership/asset.html (with
_confirm.html and handover.html#handover-form) are the readable definition of this markup and
stay the reference: the confirm and handover answers still render them, and
tests/ownership/test_markup.py renders both for assets in every state and asserts the same
bytes. Change both together.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from html import escape

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import linebreaks_filter
from django.utils import timezone
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from roleplan.markup import csrf_input, url
from roleplan.ownership.models import Asset, Gap
from roleplan.ownership.page import HistoryRow
from roleplan.ownership.templatetags.ownership_tags import person, person_options

BADGE = {Gap.OWNERLESS: "badge-bad", Gap.ROLE_CONFLICT: "badge-info"}


def url_of(name: str, *args: object) -> str:
    """{% url %}, escaped."""
    return escape(url(name, *args))


def when(at: datetime, fmt: str) -> str:
    """{{ at|date:fmt }} ("" for the format "" : {{ at }}), escaped, in the active zone."""
    return _when(at, fmt, timezone.get_current_timezone(), get_language())


@lru_cache(maxsize=4096)
def _when(at: datetime, fmt: str, zone, language: str) -> str:
    local = timezone.template_localtime(at)
    return escape(date_filter(local, fmt) if fmt else localize(local))


def confirm_html(asset: Asset, *, is_owner: bool, csrf_token: str, where: str, target: str) -> str:
    """_confirm.html, with where and confirm_target given and just_confirmed unset."""
    pk = asset.pk
    if asset.confirmed_at:
        at = asset.confirmed_at
        confirmed = (
            f'<time datetime="{when(at, "c")}" title="{when(at, "")}">{when(at, "j M Y")}</time>'
        )
    else:
        confirmed = '<span class="muted">never</span>'
    form = ""
    if is_owner:
        url = url_of("ownership:confirm", asset.slug)
        form = (
            f'\n  <form class="inline" method="post" action="{url}"\n'
            f'        hx-post="{url}" hx-target="{escape(target) if target else f"#confirm-{pk}"}"'
            ' hx-swap="outerHTML">\n'
            f'    {csrf_input(csrf_token)}<input type="hidden" name="where" '
            f'value="{escape(where or "card")}">\n'
            '    <button type="submit" class="btn btn-sm" title="Confirm that you are still the '
            'accountable owner">Still mine</button>\n'
            "  </form>\n  "
        )
    return f'<span id="confirm-{pk}" class="confirm">\n  {confirmed}\n  {form}\n  \n</span>\n'


def accountability_html(
    asset: Asset,
    gaps: list[tuple[Gap, str]],
    *,
    page_url: str,
    is_owner: bool,
    confirm_days: int,
    csrf_token: str,
) -> str:
    """The partial accountability; `page_url` is asset.get_absolute_url(), escaped."""
    if gaps:
        items = "".join(
            f'\n      <li class="gap gap-{escape(gap)}"><span class="badge '
            f'{BADGE.get(gap, "badge-warn")}">{escape(gap.label)}</span> {escape(help)}'
            f"{f' (every {confirm_days} days)' if gap == Gap.UNCONFIRMED else ''}</li>\n      "
            for gap, help in gaps
        )
        summary = f'\n    <ul class="gap-list">\n      {items}\n    </ul>\n    '
    else:
        summary = (
            '\n    <p><span class="badge badge-ok">No gaps</span> One active owner who confirmed'
            " recently.</p>\n    "
        )
    confirm = confirm_html(
        asset, is_owner=is_owner, csrf_token=csrf_token, where="page", target="#accountability"
    )
    return (
        '\n  <section id="accountability" class="card" aria-labelledby="accountability-h"\n'
        f'           hx-get="{page_url}" hx-trigger="ownerChanged from:body" '
        'hx-swap="outerHTML">\n'
        '    <h2 id="accountability-h">Accountability</h2>\n'
        f"    {summary}\n"
        '    <dl class="props">\n'
        f'      <dt>Owner</dt><dd class="owner-name">{person(asset.owner)}</dd>\n'
        f"      <dt>Deputy</dt><dd>{person(asset.deputy)}</dd>\n"
        f"      <dt>Kind</dt><dd>{escape(asset.get_kind_display())}</dd>\n"
        f"      <dt>Last confirmed</dt><dd>{confirm}</dd>\n"
        f"      <dt>Registered</dt><dd>{when(asset.created_at, 'j M Y')}</dd>\n"
        "    </dl>\n"
        "  </section>\n  "
    )


@lru_cache(maxsize=64)
def _options(people: tuple[tuple[str, str], ...], exclude: int) -> str:
    return person_options(people, exclude, None)


def handover_panel_html(
    asset: Asset,
    people: list[tuple[str, str]],
    *,
    page_url: str,
    can_edit: bool,
    csrf_token: str,
) -> str:
    """The partial handover-panel as the asset page shows it: an unbound form for the current
    owner (the view reads the page only when the user can edit as owner or staff, so the "You
    no longer own" branch of the partial is not needed here)."""
    if not can_edit:
        return "\n  \n  "
    pk = asset.pk
    name = escape(asset.name)
    url = url_of("ownership:handover", asset.slug)
    form = (
        f'\n  <form id="handover-form" method="post" action="{url}"\n'
        f'        hx-post="{url}"\n'
        '        hx-target="#handover-panel" hx-swap="outerHTML"\n'
        '        class="handover-form">\n'
        f"    {csrf_input(csrf_token)}\n"
        '    <input type="hidden" name="where" value="page">\n'
        "    \n"
        f'    <input type="hidden" name="expected_owner" value="{asset.owner_id}" '
        'id="id_expected_owner">\n'
        "    \n"
        "    \n"
        '    <div class="field">\n'
        f'      <label for="id_new_owner-{pk}">New owner</label>\n'
        f'      <select name="new_owner" id="id_new_owner-{pk}" required>\n'
        '        <option value="">Choose a person…</option>\n'
        f"        {_options(tuple(people), asset.owner_id)}\n"
        "      </select>\n"
        "      \n"
        "    </div>\n"
        '    <div class="field">\n'
        f'      <label for="id_reason-{pk}">Reason</label>\n'
        f'      <input type="text" name="reason" id="id_reason-{pk}" maxlength="1000" required\n'
        '             value="" placeholder="Why does it change hands?">\n'
        "      \n"
        "    </div>\n"
        '    <button type="submit" class="btn btn-primary">Hand over</button>\n'
        f'    <a class="btn" href="{page_url}">Cancel</a>\n'
        "  </form>\n  "
    )
    return (
        "\n  \n"
        '  <section id="handover-panel" class="card" aria-labelledby="handover-h">\n'
        '    <h2 id="handover-h">Hand over</h2>\n'
        "    \n"
        "    \n"
        f'    <p class="muted">Give {name} to one new accountable owner. The reason is kept in'
        " the history.</p>\n"
        f"    {form}\n"
        "    \n"
        "  </section>\n"
        "  \n  "
    )


def history_html(history: list[HistoryRow], *, page_url: str) -> str:
    """The partial history; `page_url` is asset.get_absolute_url(), escaped."""
    entries = "".join([_entry(h, timezone.get_current_timezone(), get_language()) for h in history])
    return (
        '\n<section id="history" class="card" aria-labelledby="history-h"\n'
        f'         hx-get="{page_url}" hx-trigger="ownerChanged from:body" '
        'hx-swap="outerHTML">\n'
        '  <h2 id="history-h">Handover history</h2>\n'
        '  <ol class="history">\n'
        f"    {entries}\n"
        "  </ol>\n"
        "</section>\n"
    )


@lru_cache(maxsize=4096)
def _entry(h: HistoryRow, zone, language: str) -> str:
    """One handover of the history, memoised on what it shows (and the zone and language)."""
    if h.from_name:
        who = (
            f"\n      <strong>{escape(h.from_name)}</strong> → <strong>{escape(h.to_name)}</strong>"
        )
    else:
        who = f"\n      Registered with <strong>{escape(h.to_name)}</strong> as owner"
    by = f" · by {escape(h.by_name)}" if h.by_name else ""
    return (
        '\n    <li class="handover-entry">\n'
        f"      {who}\n"
        "      \n"
        f'      <div class="reason">“{escape(h.reason)}”</div>\n'
        f'      <div class="when"><time datetime="{when(h.at, "c")}">'
        f"{when(h.at, 'j M Y, H:i')}</time>{by}</div>\n"
        "    </li>\n    "
    )


def content_html(asset: Asset, context: dict, parts: dict[str, str]) -> str:
    """The block content of asset.html around its three partials (`parts`)."""
    product = context["product"]
    team = f"<p>Team: {escape(asset.team)}</p>" if asset.team else ""
    open_product = (
        f'<a class="btn" href="{escape(product.get_absolute_url())}">Open the product</a>'
        if product
        else ""
    )
    edit = (
        f'<a class="btn" href="{url_of("ownership:edit", asset.slug)}">Edit details</a>'
        if context["can_edit"]
        else ""
    )
    about = ""
    if asset.description:
        about = (
            '\n<section class="card" aria-labelledby="about-h">\n'
            '  <h2 id="about-h">About</h2>\n'
            f"  {linebreaks_filter(asset.description, autoescape=True)}\n"
            "</section>\n"
        )
    return (
        '\n<div class="page-head">\n'
        "  <div>\n"
        f'    <div class="eyebrow"><a href="{url_of("ownership:index")}">Ownership</a> / '
        f"{escape(asset.get_kind_display())}</div>\n"
        f"    <h1>{escape(asset.name)}</h1>\n"
        f"    {team}\n"
        "  </div>\n"
        '  <div class="actions">\n'
        f"    {open_product}\n"
        f"    {edit}\n"
        "  </div>\n"
        "</div>\n"
        "\n"
        '<div class="grid grid-2">\n'
        f"  {parts['accountability']}\n"
        "\n"
        f"  {parts['handover_panel']}\n"
        "</div>\n"
        "\n"
        f"{about}\n"
        "\n"
        f"{parts['history']}\n"
    )


def regions(
    asset: Asset,
    context: dict,
    *,
    people: list[tuple[str, str]],
    csrf_token: str,
) -> dict[str, SafeString]:
    """The block content of the asset page (content) and its three partials, for
    asset_context's `context`; every value in them is escaped here."""
    page_url = url_of("ownership:asset", asset.slug)
    parts = {
        "accountability": accountability_html(
            asset,
            context["gaps"],
            page_url=page_url,
            is_owner=context["is_owner"],
            confirm_days=context["confirm_days"],
            csrf_token=csrf_token,
        ),
        "handover_panel": handover_panel_html(
            asset, people, page_url=page_url, can_edit=context["can_edit"], csrf_token=csrf_token
        ),
        "history": history_html(context["history"], page_url=page_url),
    }
    parts["content"] = content_html(asset, context, parts)
    return {key: mark_safe(html) for key, html in parts.items()}  # noqa: S308 - escaped above


# The registry's rows ---------------------------------------------------------------------------

GAP_TITLE = {
    Gap.OWNERLESS: "The owner's account is deactivated",
    Gap.ROLE_CONFLICT: "The product's owner also manages one of its projects",
}


def gaps_html(asset: Asset, confirm_days: int) -> str:
    """_gaps.html."""
    badges = "".join(
        f'<span class="badge {BADGE.get(gap, "badge-warn")}" title="'
        f'{GAP_TITLE.get(gap) or f"Not confirmed within {confirm_days} days"}">'
        f"{escape(gap.label)}</span> "
        for gap in asset.gaps
    )
    return (badges or '<span class="badge badge-ok">OK</span>') + "\n"


def registry_row_html(asset: Asset, *, user, confirm_days: int) -> str:
    """The partial asset-row of templates/ownership/index.html as the registry lists it: without
    done_message, conflict and handover_form, which only the handover's answers set (they
    render the partial). `asset` comes from Asset.objects.for_list()."""
    pk = asset.pk
    team = f'<div class="muted small">{escape(asset.team)}</div>' if asset.team else ""
    actions = ""
    if user.is_staff or asset.owner_id == user.pk:
        handover = url_of("ownership:handover", asset.slug)
        actions = (
            '\n    <details class="handover">\n'
            '      <summary class="btn btn-sm">Hand over</summary>\n'
            '      <div class="handover-pop">\n        \n'
            f'        <div hx-get="{handover}?where=row&amp;seen_owner={asset.owner_id}"\n'
            '             hx-trigger="toggle from:closest details once" hx-swap="outerHTML">\n'
            f'          <a href="{handover}">Open the handover form</a>\n'
            "        </div>\n        \n      </div>\n    </details>\n    "
        )
    confirm = confirm_html(asset, is_owner=False, csrf_token="", where="", target="")
    return (
        f'\n<tr id="asset-{pk}" class="asset-row">\n  <td>\n'
        f'    <a href="{url_of("ownership:asset", asset.slug)}" class="asset-name">'
        f"{escape(asset.name)}</a>\n    {team}\n    \n    \n  </td>\n"
        f'  <td><span class="badge kind-{escape(asset.kind)}">'
        f"{escape(asset.get_kind_display())}</span></td>\n"
        f'  <td class="owner-cell">{person(asset.owner)}</td>\n'
        f"  <td>{person(asset.deputy)}</td>\n"
        f"  <td>{confirm}</td>\n"
        f'  <td class="gaps-cell">{gaps_html(asset, confirm_days)}</td>\n'
        f'  <td class="actions-cell">\n    {actions}\n  </td>\n</tr>\n'
    )


def registry_rows_html(assets: list[Asset], *, user, confirm_days: int) -> SafeString:
    """{% for asset in assets %}{% partial asset-row %}{% endfor %}, each value escaped above."""
    return mark_safe(  # noqa: S308 - every value is escaped where it is written
        "".join(registry_row_html(a, user=user, confirm_days=confirm_days) for a in assets)
    )

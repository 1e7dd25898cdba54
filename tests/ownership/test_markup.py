"""The asset page's regions are written in Python (roleplan/ownership/markup.py) for speed; the
partials accountability, handover-panel and history of templates/ownership/asset.html are their
readable definition. These tests hold the two to the same bytes, region by region and for the
whole page, for assets and viewers in every state the page shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone, translation

from roleplan.ownership import markup
from roleplan.ownership.forms import HandoverForm, people_choices
from roleplan.ownership.models import Asset
from roleplan.ownership.page import load_asset_page
from roleplan.ownership.views import asset_context
from tests.factories import AssetFactory, UserFactory
from tests.ownership.test_page import assets  # noqa: F401 - the fixture

TOKEN = "tok<en>&" + "x" * 56  # escaped like any value
REGIONS = {"accountability": "accountability", "handover-panel": "handover_panel"}


def request_for(user, asset):
    path = reverse("ownership:asset", args=[asset.slug])
    request = RequestFactory().get(path)
    request.user = user
    request.resolver_match = resolve(path)
    return request


def both_contexts(user, asset) -> tuple[object, dict, dict]:
    """The request, the context the template path renders, and the asset page's own."""
    page = load_asset_page(user, asset.slug)
    request = request_for(user, page.asset)
    context = asset_context(request, page.asset, page.history)
    context["csrf_token"] = TOKEN
    reference = dict(context)
    if context["can_edit"]:
        reference["handover_form"] = HandoverForm(
            initial={"expected_owner": page.asset.owner_id}, current_owner_id=page.asset.owner_id
        )
        reference["people"] = people_choices()
    fast = dict(
        context, regions=markup.regions(page.asset, context, people=page.people, csrf_token=TOKEN)
    )
    return request, reference, fast


def assert_same_page(user, asset) -> None:
    request, reference, fast = both_contexts(user, asset)
    for partial, key in [*REGIONS.items(), ("history", "history")]:
        expected = render_to_string(f"ownership/asset.html#{partial}", reference, request=request)
        assert fast["regions"][key] == expected, partial
    whole = render_to_string("ownership/asset.html", reference, request=request)
    assert render_to_string("ownership/asset.html", fast, request=request) == whole


def test_every_region_is_written_as_the_template_writes_it(assets, owner, editor, staff, viewer):  # noqa: F811
    nameless = UserFactory(username="x&y", first_name="", last_name="", is_active=True)
    for asset in assets:
        for user in (editor, staff, viewer, owner, nameless):
            assert_same_page(user, asset)


def test_assets_confirmed_or_not_owned_by_the_viewer_or_not(owner, viewer, staff):
    confirmed = AssetFactory(owner=owner, confirmed_at=timezone.now() - timedelta(hours=3))
    never = AssetFactory(owner=viewer, deputy=owner, confirmed_at=None, team="Ops & co")
    for asset in (confirmed, never):
        for user in (owner, viewer, staff):
            assert_same_page(user, asset)


def test_other_time_zones_and_languages(assets, editor):  # noqa: F811
    for zone, language in [("America/Los_Angeles", "de"), ("Asia/Kolkata", "en")]:
        with timezone.override(zone), translation.override(language):
            for asset in assets:
                assert_same_page(editor, asset)


@pytest.mark.parametrize("target", ["accountability", "history"])
def test_htmx_regions_are_answered_alone(client, assets, editor, target):  # noqa: F811
    asset = assets[1]
    client.force_login(editor)
    response = client.get(
        reverse("ownership:asset", args=[asset.slug]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET=target
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<section id="{target}"')
    assert html.rstrip().endswith("</section>")


# The registry's rows (markup.registry_row_html, the partial asset-row of index.html) ----------


def assert_same_rows(user, shown, confirm_days: int = 90) -> None:
    path = reverse("ownership:index")
    request = RequestFactory().get(path)
    request.user = user
    request.resolver_match = resolve(path)
    listed = list(Asset.objects.for_list().filter(pk__in=[a.pk for a in shown]).order_by("pk"))
    assert len(listed) == len(shown)
    expected = "".join(
        render_to_string(
            "ownership/index.html#asset-row",
            {"asset": asset, "confirm_days": confirm_days},
            request=request,
        )
        for asset in listed
    )
    written = markup.registry_rows_html(listed, user=user, confirm_days=confirm_days)
    assert written == expected


def test_registry_rows_are_written_as_the_partial_writes_them(assets, owner, editor, staff, viewer):  # noqa: F811
    """Every gap (ownerless, role conflict, unconfirmed) and none, a deputy or none, a nameless
    person, markup in names and teams; viewed by the owner, staff and others."""
    nameless = UserFactory(username="x&y", first_name="", last_name="", is_active=True)
    never = AssetFactory(owner=viewer, deputy=owner, confirmed_at=None, team="Ops & co")
    for user in (editor, staff, viewer, owner, nameless):
        assert_same_rows(user, [*assets, never])
    assert_same_rows(editor, assets, confirm_days=7)
    with timezone.override("Asia/Kolkata"), translation.override("de"):
        assert_same_rows(editor, [*assets, never])


def test_the_registry_page_lists_the_written_rows(client, assets, editor):  # noqa: F811
    client.force_login(editor)
    html = client.get(reverse("ownership:index")).content.decode()
    listed = list(Asset.objects.for_list().order_by("name"))
    for asset in listed:
        assert f'<tr id="asset-{asset.pk}" class="asset-row">' in html
    assert html.count('class="asset-row"') == len(listed)
    assert markup.registry_rows_html(listed, user=editor, confirm_days=90) in html

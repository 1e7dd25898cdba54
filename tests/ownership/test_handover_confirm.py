"""A handover asks for confirmation with a summary (asset, from, to, reason), says it is done,
and the page then updates for the former owner: no "Edit details", no bare refusal."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from roleplan.ownership.models import Asset, Handover
from tests.factories import AssetFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def asset(owner):
    return AssetFactory(
        name="Release process", slug="release-process", owner=owner, confirmed_at=timezone.now()
    )


def chosen(asset, new_owner, **extra) -> dict:
    """What the first step (the form) posts."""
    return {
        "new_owner": new_owner.pk,
        "reason": "Parental leave",
        "expected_owner": asset.owner_id,
        **extra,
    }


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_form_answers_with_a_summary_to_confirm_and_changes_nothing(
    client, asset, owner, viewer
):
    client.force_login(owner)
    url = reverse("ownership:handover", args=[asset.slug])
    response = client.post(url, chosen(asset, viewer))
    assert response.status_code == 200
    page = text(response)
    assert "Confirm the handover" in page
    assert "<dt>Asset</dt><dd><strong>Release process</strong> (process)</dd>" in page
    assert f"<dt>From</dt><dd>{owner.get_full_name()}</dd>" in page
    assert f"<dt>To</dt><dd><strong>{viewer.get_full_name()}</strong></dd>" in page
    assert "<dt>Reason</dt><dd>“Parental leave”</dd>" in page
    assert "you will no longer be able to edit or hand over Release process" in page
    assert '<input type="hidden" name="confirm" value="yes">' in page
    assert f"Hand over to {viewer.get_full_name()}</button>" in page
    assert Asset.objects.get(pk=asset.pk).owner == owner
    assert Handover.objects.filter(asset=asset).count() == 1


def test_change_goes_back_to_the_form_as_filled_in(client, asset, owner, viewer):
    client.force_login(owner)
    url = reverse("ownership:handover", args=[asset.slug])
    response = client.post(url, chosen(asset, viewer, confirm="yes", change="1"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Confirm the handover" not in html
    assert f'value="{viewer.pk}" selected' in html
    assert 'value="Parental leave"' in html
    assert Asset.objects.get(pk=asset.pk).owner == owner


def test_confirming_hands_over_and_says_so_to_the_former_owner(client, asset, owner, viewer):
    client.force_login(owner)
    url = reverse("ownership:handover", args=[asset.slug])
    response = client.post(url, chosen(asset, viewer, confirm="yes"), follow=True)
    assert response.redirect_chain == [(asset.get_absolute_url(), 302)]
    page = text(response)
    assert f"Release process is now owned by {viewer.get_full_name()}." in page
    assert "Edit details" not in page  # the former owner can no longer use it
    assert 'id="handover-panel"' not in page
    assert Asset.objects.get(pk=asset.pk).owner == viewer


def test_confirming_in_the_page_answers_with_the_panel_and_refreshes_the_actions(
    client, asset, owner, viewer
):
    client.force_login(owner)
    url = reverse("ownership:handover", args=[asset.slug])
    summary = client.post(url, chosen(asset, viewer, where="page"), **HTMX)
    assert summary.content.decode().lstrip().startswith('<section id="handover-panel"')
    assert "Confirm the handover" in summary.content.decode()
    done = client.post(url, chosen(asset, viewer, where="page", confirm="yes"), **HTMX)
    assert done.status_code == 200
    assert "ownerChanged" in done["HX-Trigger"]
    assert f"is now owned by {viewer.get_full_name()}" in done.content.decode()
    # The page's actions listen for ownerChanged and come back without "Edit details".
    page = client.get(asset.get_absolute_url()).content.decode()
    assert 'id="asset-actions"' in page
    assert 'hx-trigger="ownerChanged from:body"' in page
    actions = client.get(asset.get_absolute_url(), HTTP_HX_TARGET="asset-actions", **HTMX)
    html = actions.content.decode().strip()
    assert html.startswith('<div id="asset-actions"')
    assert "Edit details" not in html


def test_a_former_owners_stale_page_is_told_in_place_not_refused(client, asset, owner, viewer):
    client.force_login(owner)
    url = reverse("ownership:handover", args=[asset.slug])
    client.post(url, chosen(asset, viewer, confirm="yes"))
    # The old page's "Choose the new owner…" (or a second tab's form) asks again.
    asked = client.get(url, {"where": "page", "seen_owner": owner.pk}, **HTMX)
    assert asked.status_code == 200
    assert asked["HX-Retarget"] == "#handover-panel"
    assert "You no longer own Release process." in asked.content.decode()
    assert "ownerChanged" in asked["HX-Trigger"]
    posted = client.post(url, chosen(asset, viewer, where="row"), **HTMX)
    assert posted.status_code == 200
    assert posted["HX-Retarget"] == f"#asset-{asset.pk}"
    assert "Hand over" not in posted.content.decode()


def test_without_htmx_a_former_owner_gets_the_error_page_naming_the_owner(
    client, asset, owner, viewer
):
    client.force_login(owner)
    url = reverse("ownership:handover", args=[asset.slug])
    client.post(url, chosen(asset, viewer, confirm="yes"))
    for response in (client.get(url), client.get(reverse("ownership:edit", args=[asset.slug]))):
        assert response.status_code == 403
        page = text(response)
        assert 'class="topbar"' in page  # the site's layout
        assert f"Only the owner of Release process ({viewer.get_full_name()}) or staff" in page
        assert "Back to the dashboard" in page


def test_an_unknown_asset_is_the_404_page_with_the_layout(client, outsider):
    client.force_login(outsider)
    response = client.get("/ownership/no-such-thing/handover/")
    assert response.status_code == 404
    page = text(response)
    assert 'class="topbar"' in page
    assert "Page not found" in page


def test_a_row_handover_confirms_inside_the_row(client, asset, owner, viewer):
    client.force_login(owner)
    url = reverse("ownership:handover", args=[asset.slug])
    summary = client.post(url, chosen(asset, viewer, where="row"), **HTMX)
    html = summary.content.decode().strip()
    assert html.startswith(f'<tr id="asset-{asset.pk}"')
    assert '<details class="handover" open>' in html
    assert "Confirm the handover" in html
    done = client.post(url, chosen(asset, viewer, where="row", confirm="yes"), **HTMX)
    assert f"Release process is now owned by {viewer.get_full_name()}." in done.content.decode()
    assert Asset.objects.get(pk=asset.pk).owner == viewer

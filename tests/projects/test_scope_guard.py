"""Scope guarded after the baseline: taking a baselined deliverable out (or deleting it) goes
through a change request filled in from it, or the product owner's recorded reason; nothing
changes silently."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from projects import services
from projects.models import Deliverable, ScopeRemoval
from projects.services import Refused, ScopeGuarded
from tests.projects.factories import DeliverableFactory


@pytest.fixture
def feature_a(project):
    return project.deliverables.get(title="Feature A")


@pytest.mark.parametrize("changes", [{"in_scope": False}, {"moscow": "wont", "in_scope": False}])
def test_taking_baselined_scope_out_is_refused_and_nothing_changes(
    project, manager, feature_a, changes
):
    with pytest.raises(ScopeGuarded):
        services.deliverable_update(
            deliverable_id=feature_a.pk,
            expected_version=1,
            by=manager,
            changes={"title": "Renamed", **changes},
        )
    feature_a.refresh_from_db()
    assert (feature_a.title, feature_a.in_scope, feature_a.version) == ("Feature A", True, 1)
    with pytest.raises(ScopeGuarded):
        services.deliverable_delete(deliverable_id=feature_a.pk, expected_version=1)
    assert Deliverable.objects.filter(pk=feature_a.pk).exists()


def test_scope_added_after_the_baseline_leaves_freely(project, manager):
    extra = DeliverableFactory(project=project, title="Extra")
    services.deliverable_update(
        deliverable_id=extra.pk, expected_version=1, by=manager, changes={"in_scope": False}
    )
    services.deliverable_delete(deliverable_id=extra.pk, expected_version=2)
    assert not Deliverable.objects.filter(pk=extra.pk).exists()


def test_the_product_owner_takes_it_out_with_a_reason_that_is_kept(
    project, product_owner, manager, feature_a
):
    with pytest.raises(ValidationError):
        services.deliverable_remove(
            deliverable_id=feature_a.pk, expected_version=1, by=product_owner, reason=" "
        )
    with pytest.raises(Refused):
        services.deliverable_remove(
            deliverable_id=feature_a.pk, expected_version=1, by=manager, reason="Mine"
        )
    removal = services.deliverable_remove(
        deliverable_id=feature_a.pk, expected_version=1, by=product_owner, reason="Legal said no"
    )
    feature_a.refresh_from_db()
    assert not feature_a.in_scope
    assert (removal.kind, removal.reason, removal.by) == (
        "descoped",
        "Legal said no",
        product_owner,
    )
    feature_b = project.deliverables.get(title="Feature B")
    services.deliverable_remove(
        deliverable_id=feature_b.pk,
        expected_version=1,
        by=product_owner,
        reason="Done elsewhere",
        delete=True,
    )
    assert not Deliverable.objects.filter(pk=feature_b.pk).exists()
    assert list(ScopeRemoval.objects.order_by("id").values_list("title", "kind")) == [
        ("Feature A", "descoped"),
        ("Feature B", "deleted"),
    ]
    # The baseline did not move.
    assert project.baselines.get().items.count() == 2


def test_unticking_in_scope_offers_a_change_request_filled_in_from_the_deliverable(
    client, project, manager, product_owner, feature_a
):
    client.force_login(manager)
    data = {
        "version": "1",
        "title": "Feature A",
        "status": "planned",
        "moscow": "must",
        "in_scope": "",
    }
    guarded = client.post(
        reverse("projects:deliverable_edit", args=[project.slug, feature_a.pk]), data
    )
    assert guarded.status_code == 409
    html = guarded.content.decode()
    assert "“Feature A” is in the approved baseline" in html
    assert "Nothing was changed." in html
    new_url = reverse("projects:change_new", args=[project.slug]) + f"?deliverable={feature_a.pk}"
    assert new_url in html
    assert "Record the reason" not in html  # that is the product owner's

    form = client.get(new_url).content.decode()
    assert "Take “Feature A” out of scope" in form
    assert f'name="descope" value="{feature_a.pk}"' in form
    response = client.post(
        reverse("projects:change_new", args=[project.slug]),
        {
            "title": "Take “Feature A” out of scope",
            "description": "It does not fit.",
            "why": "The partner is late.",
            "descope": str(feature_a.pk),
        },
    )
    change = project.change_requests.get()
    assert response["Location"] == reverse("projects:change", args=[project.slug, change.number])
    option = change.options.get()
    assert (option.label, list(option.descopes.all())) == ("A", [feature_a])

    services.change_request_decide(
        request_id=change.pk, by=product_owner, rationale="Agreed", option_id=option.pk
    )
    feature_a.refresh_from_db()
    assert not feature_a.in_scope
    assert list(project.baselines.get(is_current=True).items.values_list("title", flat=True)) == [
        "Feature B"
    ]


def test_the_product_owner_records_the_reason_from_the_scope_page(
    client, project, product_owner, feature_a
):
    client.force_login(product_owner)
    scope = client.get(reverse("projects:scope", args=[project.slug])).content.decode()
    remove_url = reverse("projects:deliverable_remove", args=[project.slug, feature_a.pk])
    assert remove_url in scope
    extra = DeliverableFactory(project=project, title="Not baselined")
    assert (
        reverse("projects:deliverable_remove", args=[project.slug, extra.pk])
        not in client.get(reverse("projects:scope", args=[project.slug])).content.decode()
    )
    empty = client.post(remove_url, {"version": "1", "delete": "0", "reason": ""})
    assert empty.status_code == 422
    assert "This field is required." in empty.content.decode()
    client.post(remove_url, {"version": "1", "delete": "0", "reason": "Legal said *no*"})
    feature_a.refresh_from_db()
    assert not feature_a.in_scope
    html = client.get(project.get_absolute_url()).content.decode()
    assert "Removed since baseline 1:</strong> Feature A" in html
    assert "the product's owner: “Legal said *no*”" in html


def test_a_stale_removal_keeps_the_reason_typed(client, project, product_owner, manager, feature_a):
    client.force_login(product_owner)
    services.deliverable_update(
        deliverable_id=feature_a.pk, expected_version=1, by=manager, changes={"title": "A2"}
    )
    url = reverse("projects:deliverable_remove", args=[project.slug, feature_a.pk])
    response = client.post(url, {"version": "1", "delete": "0", "reason": "Too late"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "was changed by Marco Rossi since you opened this page" in html
    assert "Too late</textarea>" in html
    assert 'name="version" value="2"' in html

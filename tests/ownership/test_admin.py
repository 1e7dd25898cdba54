from __future__ import annotations

from django.contrib.auth.models import User
from django.urls import reverse

from roleplan.ownership.models import Handover
from tests.factories import AssetFactory, UserFactory


def admin_user():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def user_change_data(user: User, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_refuses_to_deactivate_an_owner_and_lists_the_assets(client, owner):
    AssetFactory(owner=owner, name="Billing", slug="billing", kind="system")
    client.force_login(admin_user())
    response = client.post(
        reverse("admin:auth_user_change", args=[owner.pk]), user_change_data(owner, is_active=None)
    )
    assert response.status_code == 200
    assert (
        "still owns 1 asset: Billing (system). Hand them over first." in response.content.decode()
    )
    owner.refresh_from_db()
    assert owner.is_active


def test_admin_deactivates_someone_who_owns_nothing(client, outsider):
    client.force_login(admin_user())
    response = client.post(
        reverse("admin:auth_user_change", args=[outsider.pk]),
        user_change_data(outsider, is_active=None),
    )
    assert response.status_code == 302
    outsider.refresh_from_db()
    assert not outsider.is_active


def test_admin_bulk_deactivate_refuses_owners(client, owner, outsider):
    AssetFactory(owner=owner, name="Billing", slug="billing")
    client.force_login(admin_user())
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [owner.pk, outsider.pk]},
        follow=True,
    )
    assert "still owns: Billing" in response.content.decode()
    owner.refresh_from_db()
    outsider.refresh_from_db()
    assert owner.is_active
    assert not outsider.is_active


def test_admin_shows_history_read_only_and_never_deletes(client, owner):
    asset = AssetFactory(owner=owner)
    client.force_login(admin_user())
    response = client.get(reverse("admin:ownership_asset_change", args=[asset.pk]))
    assert response.status_code == 200
    assert "Registered" in response.content.decode()
    assert client.get(reverse("admin:ownership_asset_delete", args=[asset.pk])).status_code == 403
    handover = Handover.objects.get(asset=asset)
    response = client.post(
        reverse("admin:ownership_handover_change", args=[handover.pk]), {"reason": "edited"}
    )
    assert response.status_code == 403
    assert (
        client.post(
            reverse("admin:ownership_handover_delete", args=[handover.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Handover.objects.get(pk=handover.pk).reason == "Registered"


def test_admin_can_register_an_asset_with_its_first_log_row(client, owner):
    client.force_login(admin_user())
    response = client.post(
        reverse("admin:ownership_asset_add"),
        {
            "kind": "system",
            "name": "Payments",
            "slug": "ignored",
            "owner": owner.pk,
            "description": "",
            "team": "",
            "version": 1,
            "handovers-TOTAL_FORMS": 0,
            "handovers-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Handover.objects.filter(
        asset__name="Payments", reason="Registered in the admin"
    ).exists()

from __future__ import annotations

from collections import defaultdict

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from roleplan.events import Event, subscribe
from roleplan.ownership import services
from roleplan.ownership.models import Asset, Handover
from roleplan.versioning import StaleEdit
from tests.factories import AssetFactory, UserFactory


def test_registering_an_asset_logs_its_first_owner(owner, staff):
    asset = services.asset_register(
        kind="process", name="Customer onboarding", owner=owner, by=staff
    )
    assert asset.slug == "customer-onboarding"
    row = Handover.objects.get(asset=asset)
    assert (row.from_owner, row.to_owner, row.by, row.reason) == (None, owner, staff, "Registered")
    assert asset.confirmed_at is None  # someone else registered it: the owner has not confirmed


def test_registering_for_yourself_counts_as_confirmation(owner):
    asset = services.asset_register(kind="system", name="Mail relay", owner=owner, by=owner)
    assert asset.confirmed_at is not None


def test_registering_a_duplicate_name_is_refused_with_a_field_message(owner):
    services.asset_register(kind="system", name="Mail relay", owner=owner, by=owner)
    with pytest.raises(ValidationError) as err:
        services.asset_register(kind="system", name="mail RELAY", owner=owner, by=owner)
    assert "already exists" in err.value.message_dict["name"][0]


def test_slugs_stay_unique_and_avoid_reserved_words(owner):
    a = services.asset_register(kind="system", name="New", owner=owner, by=owner)
    b = services.asset_register(kind="process", name="New", owner=owner, by=owner)
    assert a.slug == "new-system"
    assert b.slug == "new-process"


def test_hand_over_changes_owner_and_appends_to_the_log(owner, editor):
    asset = AssetFactory(owner=owner, confirmed_at="2026-01-01T00:00:00Z")
    row = services.asset_hand_over(
        asset_id=asset.pk,
        expected_owner_id=owner.pk,
        new_owner=editor,
        by=owner,
        reason="Moving teams",
    )
    asset.refresh_from_db()
    assert asset.owner == editor
    assert asset.confirmed_at is None  # the new owner has yet to confirm
    assert (asset.version, asset.updated_by) == (2, owner)
    assert (row.from_owner, row.to_owner, row.by, row.reason) == (
        owner,
        editor,
        owner,
        "Moving teams",
    )
    assert asset.handovers.count() == 2


def test_hand_over_based_on_a_stale_owner_is_a_conflict(owner, editor, staff):
    asset = AssetFactory(owner=owner)
    services.asset_hand_over(
        asset_id=asset.pk, expected_owner_id=owner.pk, new_owner=editor, by=staff, reason="first"
    )
    with pytest.raises(services.HandoverConflict) as err:
        services.asset_hand_over(
            asset_id=asset.pk,
            expected_owner_id=owner.pk,
            new_owner=staff,
            by=staff,
            reason="second",
        )
    assert err.value.asset.owner == editor
    assert err.value.latest.reason == "first"
    assert Asset.objects.get(pk=asset.pk).owner == editor


def test_hand_over_needs_a_reason_and_an_active_new_owner(owner):
    asset = AssetFactory(owner=owner)
    gone = UserFactory(is_active=False)
    with pytest.raises(ValidationError) as err:
        services.asset_hand_over(
            asset_id=asset.pk,
            expected_owner_id=owner.pk,
            new_owner=UserFactory(),
            by=owner,
            reason="  ",
        )
    assert "reason" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.asset_hand_over(
            asset_id=asset.pk, expected_owner_id=owner.pk, new_owner=gone, by=owner, reason="x"
        )
    assert "new_owner" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.asset_hand_over(
            asset_id=asset.pk, expected_owner_id=owner.pk, new_owner=owner, by=owner, reason="x"
        )
    assert asset.handovers.count() == 1


def test_only_owner_or_staff_may_hand_over(owner, outsider):
    asset = AssetFactory(owner=owner)
    with pytest.raises(PermissionDenied):
        services.asset_hand_over(
            asset_id=asset.pk,
            expected_owner_id=owner.pk,
            new_owner=outsider,
            by=outsider,
            reason="mine now",
        )


def test_the_deputy_who_takes_over_leaves_the_deputy_slot_empty(owner, editor):
    asset = AssetFactory(owner=owner, deputy=editor)
    services.asset_hand_over(
        asset_id=asset.pk,
        expected_owner_id=owner.pk,
        new_owner=editor,
        by=owner,
        reason="Deputy steps up",
    )
    asset.refresh_from_db()
    assert (asset.owner, asset.deputy) == (editor, None)


def test_confirm_sets_confirmation_to_now_for_the_owner_only(owner, editor):
    asset = AssetFactory(owner=owner)
    assert services.asset_confirm(asset_id=asset.pk, by=owner).confirmed_at is not None
    with pytest.raises(PermissionDenied):
        services.asset_confirm(asset_id=asset.pk, by=editor)


def test_update_refuses_a_stale_version_and_returns_the_current_row(owner, staff):
    asset = AssetFactory(owner=owner, team="A")
    services.asset_update(
        asset_id=asset.pk,
        expected_version=1,
        by=staff,
        name=asset.name,
        deputy=None,
        team="B",
        description="",
    )
    with pytest.raises(StaleEdit) as err:
        services.asset_update(
            asset_id=asset.pk,
            expected_version=1,
            by=owner,
            name=asset.name,
            deputy=None,
            team="C",
            description="",
        )
    assert err.value.current.team == "B"
    assert err.value.changed_by == staff
    assert [(d.label, d.saved, d.yours) for d in err.value.differences] == [("Team", "B", "C")]
    saved = Asset.objects.get(pk=asset.pk)
    assert (saved.team, saved.version, saved.updated_by) == ("B", 2, staff)


def test_update_changes_only_the_descriptive_fields(owner, editor):
    asset = AssetFactory(owner=owner)
    with pytest.raises(ValueError, match="owner"):
        services.asset_update(asset_id=asset.pk, expected_version=1, by=owner, owner=editor)
    services.asset_update(asset_id=asset.pk, expected_version=1, by=owner, team="Ops")
    saved = Asset.objects.get(pk=asset.pk)
    assert (saved.owner, saved.team, saved.version) == (owner, "Ops", 2)


def test_update_refuses_the_owner_as_deputy(owner):
    asset = AssetFactory(owner=owner)
    with pytest.raises(ValidationError):
        services.asset_update(
            asset_id=asset.pk,
            expected_version=1,
            by=owner,
            name=asset.name,
            deputy=owner,
            team="",
            description="",
        )


def test_deactivating_an_owner_is_refused_with_the_list_of_assets(owner):
    AssetFactory(owner=owner, name="Billing", slug="billing")
    AssetFactory(owner=owner, name="Mailer", slug="mailer", kind="system")
    with pytest.raises(services.OwnerStillOwns) as err:
        services.user_deactivate(user=owner)
    assert [a.name for a in err.value.assets] == ["Billing", "Mailer"]
    assert "Hand these over first" in str(err.value)
    owner.refresh_from_db()
    assert owner.is_active


def test_deactivating_someone_who_owns_nothing_works(outsider):
    services.user_deactivate(user=outsider)
    outsider.refresh_from_db()
    assert not outsider.is_active


def test_same_name_in_two_kinds_gets_two_slugs(owner):
    a = services.asset_register(kind="system", name="Mail relay", owner=owner, by=owner)
    b = services.asset_register(kind="process", name="Mail relay", owner=owner, by=owner)
    assert (a.slug, b.slug) == ("mail-relay", "mail-relay-2")


def test_registering_needs_an_active_owner_and_a_deputy_who_is_not_the_owner(owner):
    gone = UserFactory(is_active=False)
    with pytest.raises(ValidationError) as err:
        services.asset_register(kind="system", name="A", owner=gone, by=owner)
    assert "owner" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.asset_register(kind="system", name="A", owner=owner, by=owner, deputy=owner)
    assert "deputy" in err.value.message_dict
    assert not Asset.objects.exists()


def test_renaming_to_a_taken_name_is_refused(owner):
    services.asset_register(kind="system", name="Billing", owner=owner, by=owner)
    other = services.asset_register(kind="system", name="Payments", owner=owner, by=owner)
    with pytest.raises(ValidationError) as err:
        services.asset_update(
            asset_id=other.pk,
            expected_version=1,
            by=owner,
            name="BILLING",
            deputy=None,
            team="",
            description="",
        )
    assert "already exists" in err.value.message_dict["name"][0]


def test_a_handover_announces_itself_once_it_is_committed(
    owner, editor, django_capture_on_commit_callbacks, monkeypatch
):
    heard = []
    monkeypatch.setattr("roleplan.events._handlers", defaultdict(list))
    subscribe(Event.HANDOVER_DONE, lambda **ids: heard.append(ids))
    asset = AssetFactory(owner=owner)
    with django_capture_on_commit_callbacks(execute=True):
        row = services.asset_hand_over(
            asset_id=asset.pk, expected_owner_id=owner.pk, new_owner=editor, by=owner, reason="x"
        )
        assert heard == []  # not before the commit
    assert heard == [{"asset_id": asset.pk, "handover_id": row.pk}]


def test_a_refused_handover_announces_nothing(
    owner, editor, staff, django_capture_on_commit_callbacks, monkeypatch
):
    heard = []
    monkeypatch.setattr("roleplan.events._handlers", defaultdict(list))
    subscribe(Event.HANDOVER_DONE, lambda **ids: heard.append(ids))
    asset = AssetFactory(owner=owner)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(services.HandoverConflict),
    ):
        services.asset_hand_over(
            asset_id=asset.pk, expected_owner_id=editor.pk, new_owner=staff, by=staff, reason="x"
        )
    assert heard == []

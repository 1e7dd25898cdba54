from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from roleplan.ownership.models import Asset, Handover
from tests.factories import AssetFactory, UserFactory


def test_deputy_can_never_be_the_owner(owner):
    asset = AssetFactory(owner=owner)
    asset.deputy = owner
    with pytest.raises(IntegrityError), transaction.atomic():
        asset.save()


def test_name_is_unique_per_kind_ignoring_case(owner):
    AssetFactory(name="Release process", slug="release-process", kind="process", owner=owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Asset.objects.create(name="RELEASE PROCESS", slug="other", kind="process", owner=owner)


def test_same_name_may_exist_in_another_kind(owner):
    AssetFactory(name="CRM", slug="crm", kind="product", owner=owner)
    Asset.objects.create(name="CRM", slug="crm-system", kind="system", owner=owner)
    assert Asset.objects.filter(name="CRM").count() == 2


def test_owner_is_required(owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        Asset.objects.create(name="Nobody's", slug="nobodys", kind="system", owner_id=None)


def test_blank_name_and_unknown_kind_are_refused(owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        Asset.objects.create(name="", slug="blank", kind="system", owner=owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Asset.objects.create(name="Thing", slug="thing", kind="gadget", owner=owner)


def test_handover_log_refuses_update_in_the_database(owner):
    asset = AssetFactory(owner=owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Handover.objects.filter(asset=asset).update(reason="rewritten history")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ownership_handover SET reason = 'x'")
    assert Handover.objects.get(asset=asset).reason == "Registered"


def test_handover_log_refuses_delete_in_the_database(owner):
    asset = AssetFactory(owner=owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Handover.objects.filter(asset=asset).delete()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM ownership_handover")
    assert Handover.objects.filter(asset=asset).count() == 1


def test_handover_rows_refuse_save_and_delete_in_python(owner):
    asset = AssetFactory(owner=owner)
    row = Handover.objects.get(asset=asset)
    row.reason = "changed"
    with pytest.raises(ValueError, match="append-only"):
        row.save()
    with pytest.raises(ValueError, match="append-only"):
        row.delete()


def test_handover_must_change_the_owner_and_give_a_reason(owner):
    asset = AssetFactory(owner=owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Handover.objects.create(asset=asset, from_owner=owner, to_owner=owner, reason="same")
    other = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Handover.objects.create(asset=asset, from_owner=owner, to_owner=other, reason="")

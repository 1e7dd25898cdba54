"""Concurrent handovers on PostgreSQL: real threads, each with its own connection, through the
whole request stack (middleware, view, service, row lock)."""

from __future__ import annotations

import threading
import traceback

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from roleplan.ownership import services
from roleplan.ownership.models import Asset, Handover
from tests.factories import AssetFactory, UserFactory
from tests.racing import in_thread, race, wait_until_blocked

# Row locks under real concurrent connections: PostgreSQL's (SQLite locks the whole file).
pytestmark = pytest.mark.postgresql

THREADS = 16


def run_in_threads(target, count: int) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception:  # recorded and asserted on below
            results[i] = traceback.format_exc()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_handovers_from_the_same_owner_exactly_one_wins():
    first_owner = UserFactory(username="first.owner")
    asset = AssetFactory(owner=first_owner, slug="contested")
    actors = [UserFactory(username=f"staff{i}", is_staff=True) for i in range(THREADS)]
    targets = [UserFactory(username=f"target{i}") for i in range(THREADS)]

    def post(i: int) -> int:
        client = Client()
        client.force_login(actors[i])
        response = client.post(
            reverse("ownership:handover", args=[asset.slug]),
            {
                "new_owner": targets[i].pk,
                "reason": f"request {i}",
                "expected_owner": first_owner.pk,
                "where": "row",
                "confirm": "yes",
            },
            HTTP_HX_REQUEST="true",
        )
        return response.status_code

    statuses = run_in_threads(post, THREADS)
    assert sorted(statuses) == [200] + [409] * (THREADS - 1), statuses
    asset.refresh_from_db()
    log = list(Handover.objects.filter(asset=asset).order_by("at", "id"))
    assert len(log) == 2  # registration + the one winner
    assert asset.owner == log[-1].to_owner
    assert log[-1].from_owner == first_owner


@pytest.mark.django_db(transaction=True)
def test_racing_handover_chain_keeps_owner_and_log_consistent():
    """Sixteen threads each try five handovers, each based on the owner they just read. Every
    success appends exactly one row; the log forms an unbroken chain ending at the owner."""
    people = [UserFactory(username=f"person{i}") for i in range(THREADS)]
    staff = UserFactory(username="racer", is_staff=True)
    asset = AssetFactory(owner=people[0], slug="chain")

    def attempt(i: int) -> int:
        wins = 0
        for round_ in range(5):
            seen = Asset.objects.get(pk=asset.pk).owner_id
            target = people[(i + round_ + 1) % THREADS]
            if target.pk == seen:
                target = people[(i + round_ + 2) % THREADS]
            try:
                services.asset_hand_over(
                    asset_id=asset.pk,
                    expected_owner_id=seen,
                    new_owner=target,
                    by=staff,
                    reason=f"thread {i} round {round_}",
                )
                wins += 1
            except services.HandoverConflict:
                pass
        return wins

    results = run_in_threads(attempt, THREADS)
    assert all(isinstance(r, int) for r in results), results
    successes = sum(results)
    assert successes >= 1
    log = list(Handover.objects.filter(asset=asset).order_by("at", "id"))
    assert len(log) == successes + 1
    for earlier, later in zip(log, log[1:], strict=False):
        assert later.from_owner_id == earlier.to_owner_id
    asset.refresh_from_db()
    assert asset.owner_id == log[-1].to_owner_id
    assert asset.version == successes + 1
    print(
        f"\nchain race: {THREADS} threads x 5 attempts, {successes} handovers won, "
        f"{THREADS * 5 - successes} refused as conflicts"
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_name_create_one_asset():
    owner = UserFactory(username="registrar")

    def register(i: int) -> str:
        try:
            services.asset_register(kind="system", name="Payments gateway", owner=owner, by=owner)
        except ValidationError as exc:
            return exc.message_dict["name"][0]
        return "created"

    results = run_in_threads(register, THREADS)
    assert results.count("created") == 1, results
    assert all("already exists" in r for r in results if r != "created"), results
    assert Asset.objects.filter(name="Payments gateway").count() == 1
    assert Handover.objects.filter(asset__name="Payments gateway").count() == 1


# -- confirming ownership while it changes hands (issue 17, D1) ---------------------------------


def confirm_as(user, asset, *, htmx: bool):
    """The owner's "Still mine", posted from the asset page; the answer as the browser gets it
    (a server error as a 500, not an exception)."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(reverse("ownership:confirm", args=[asset.slug]), {"where": "page"}, **extra)


@pytest.mark.parametrize(("htmx", "status"), [(True, 409), (False, 403)])
@pytest.mark.django_db(transaction=True)
def test_a_confirmation_waiting_on_a_handover_is_refused_naming_the_new_owner(htmx, status):
    """The handover holds the asset's row when the owner confirms: the confirmation waits for
    the lock, then finds the asset is someone else's and says so (never a server error)."""
    owner = UserFactory(username="olga.owner")
    heir = UserFactory(username="hugo.heir", first_name="Hugo", last_name="Heir")
    staff = UserFactory(username="stan.staff", is_staff=True)
    asset = AssetFactory(owner=owner, slug="billing", confirmed_at=None)
    holding, release = threading.Event(), threading.Event()

    def hand_over() -> Handover:
        with transaction.atomic():
            Asset.objects.select_for_update().get(pk=asset.pk)  # the handover has the row
            holding.set()
            assert release.wait(20)
            return services.asset_hand_over(
                asset_id=asset.pk,
                expected_owner_id=owner.pk,
                new_owner=heir,
                by=staff,
                reason="Team change",
            )

    handed = in_thread(hand_over)
    assert holding.wait(20)
    confirmed = in_thread(lambda: confirm_as(owner, asset, htmx=htmx))
    wait_until_blocked(1)
    release.set()
    handover, response = handed(), confirmed()

    assert response.status_code == status
    assert "Hugo Heir" in response.content.decode()
    asset.refresh_from_db()
    assert (asset.owner, asset.confirmed_at) == (heir, None)  # the heir has not confirmed yet
    log = list(Handover.objects.filter(asset=asset).order_by("at", "id"))
    assert [row.to_owner for row in log] == [owner, heir]
    assert log[-1] == handover


@pytest.mark.django_db(transaction=True)
def test_confirmations_racing_handovers_never_fail_and_leave_one_consistent_owner():
    """Eight "Still mine" clicks by the owner and eight staff handovers of one asset at once:
    no server error; one handover wins and the other seven are told of it; each confirmation
    either came first (200) or is refused (409); the new owner has not confirmed."""
    owner = UserFactory(username="olga.owner")
    staff = [UserFactory(username=f"staff{i}", is_staff=True) for i in range(8)]
    heirs = [UserFactory(username=f"heir{i}") for i in range(8)]
    asset = AssetFactory(owner=owner, slug="racing", confirmed_at=None)

    def hand_over(i: int) -> int:
        client = Client(raise_request_exception=False)
        client.force_login(staff[i])
        return client.post(
            reverse("ownership:handover", args=[asset.slug]),
            {
                "new_owner": heirs[i].pk,
                "reason": f"handover {i}",
                "expected_owner": owner.pk,
                "where": "page",
                "confirm": "yes",
            },
            HTTP_HX_REQUEST="true",
        ).status_code

    confirms = [lambda: confirm_as(owner, asset, htmx=True).status_code for _ in range(8)]
    handovers = [lambda i=i: hand_over(i) for i in range(8)]
    results = race(*confirms, *handovers)

    assert set(results[:8]) <= {200, 409}, results
    assert sorted(results[8:]) == [200] + [409] * 7, results
    asset.refresh_from_db()
    log = list(Handover.objects.filter(asset=asset).order_by("at", "id"))
    assert len(log) == 2
    assert (log[-1].from_owner, log[-1].to_owner) == (owner, asset.owner)
    assert asset.confirmed_at is None  # confirmed before the handover, or refused after it

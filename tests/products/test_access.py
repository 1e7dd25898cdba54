"""Who may change a product: every mutating view for owner, editor, staff, viewer, anonymous.

Products are visible to everyone signed in, so a viewer gets 403 (not 404) on changes, and
an anonymous visitor is sent to sign in. Only the owner and staff choose the editors."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from products.access import can_plan
from products.models import Kpi, KpiMeasurement, Product, ProductRisk, RoadmapItem
from tests.factories import UserFactory
from tests.products.factories import RiskFactory, card_data, make_item, make_planner, make_product


@pytest.fixture
def world(product, kpi, owner, viewer):
    item = make_item(product, title="Item", horizon="now", kpi=kpi)
    make_item(product, title="Second", horizon="now")
    measurement = KpiMeasurement.objects.create(kpi=kpi, date=date(2026, 9, 1), value=18)
    risk = RiskFactory(product=product)
    return {
        "product": product,
        "kpi": kpi,
        "item": item,
        "measurement": measurement,
        "risk": risk,
        "viewer": viewer,
    }


def fingerprint(product: Product) -> tuple:
    product = Product.objects.get(pk=product.pk)
    return (
        product.version,
        sorted(product.editors.values_list("pk", flat=True)),
        sorted(Kpi.objects.filter(product=product).values_list("pk", "version")),
        KpiMeasurement.objects.filter(kpi__product=product).count(),
        sorted(ProductRisk.objects.filter(product=product).values_list("pk", "version")),
        sorted(
            RoadmapItem.objects.filter(product=product).values_list(
                "pk", "version", "horizon", "rank"
            )
        ),
    )


def url(name: str, w: dict, *extra) -> str:
    return reverse(f"products:{name}", args=[w["product"].slug, *extra])


# name, (url, data) built from the world; the editor may use every one but the editors' views.
MUTATIONS = {
    "edit": lambda w: (
        url("edit", w),
        {
            "version": 1,
            "kind": "solution",
            "stage": "growth",
            "scoring": "rice",
            "vision": "Changed",
        },
    ),
    "editor_add": lambda w: (url("editor_add", w), {"user": w["viewer"].pk}),
    "editor_remove": lambda w: (
        url("editor_remove", w, w["product"].editors.get().pk),
        {},
    ),
    "kpi_create": lambda w: (
        url("kpi_create", w),
        {
            "name": "NPS",
            "unit": "",
            "baseline": "10",
            "target_kind": "absolute",
            "target_value": "30",
            "direction": "up",
        },
    ),
    "kpi_edit": lambda w: (
        url("kpi_edit", w, w["kpi"].pk),
        {
            "version": 1,
            "name": "Repurchase rate",
            "unit": "%",
            "baseline": "18",
            "target_kind": "absolute",
            "target_value": "25",
            "direction": "up",
        },
    ),
    "kpi_delete": lambda w: (url("kpi_delete", w, w["kpi"].pk), {}),
    "measurement_add": lambda w: (
        url("measurement_add", w, w["kpi"].pk),
        {"date": "2026-10-01", "value": "19.5"},
    ),
    "measurement_delete": lambda w: (url("measurement_delete", w, w["measurement"].pk), {}),
    "risk_create": lambda w: (
        url("risk_create", w),
        {"title": "New", "category": "legal", "probability": 2, "impact": 3, "status": "open"},
    ),
    "risk_edit": lambda w: (
        url("risk_edit", w, w["risk"].pk),
        {
            "version": 1,
            "title": "Renamed",
            "category": "legal",
            "probability": 2,
            "impact": 3,
            "status": "open",
        },
    ),
    "risk_delete": lambda w: (url("risk_delete", w, w["risk"].pk), {}),
    "item_create": lambda w: (
        url("item_create", w),
        {"prefix": "add-now", "add-now-title": "New item", "add-now-horizon": "now"},
    ),
    "item_move": lambda w: (
        url("item_move", w, w["item"].pk),
        {"horizon": "later", "position": 0},
    ),
    "item_move_menu": lambda w: (url("item_move", w, w["item"].pk), {"to": "down"}),
    "item_edit": lambda w: (url("item_edit", w, w["item"].pk), card_data(w["item"], reach=777)),
    "item_page": lambda w: (
        url("item", w, w["item"].pk),
        {
            "version": 1,
            "title": "Renamed",
            "status": "planned",
            "horizon": "now",
            "reach": 5,
            "impact": "1.00",
            "confidence": 80,
            "effort": "1",
            "ice_impact": 5,
            "ice_confidence": 5,
            "ice_ease": 5,
        },
    ),
    "item_delete": lambda w: (url("item_delete", w, w["item"].pk), {}),
}
OWNER_ONLY = {"editor_add", "editor_remove"}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
@pytest.mark.parametrize("who", ["owner", "editor", "staff"])
def test_owner_editor_and_staff_may_change_the_product(client, world, request, name, who):
    user = request.getfixturevalue(who)
    path, data = MUTATIONS[name](world)
    before = fingerprint(world["product"])
    client.force_login(user)
    response = client.post(path, data)
    if who == "editor" and name in OWNER_ONLY:
        assert response.status_code == 403
        assert fingerprint(world["product"]) == before
        return
    assert response.status_code == 302, response.content.decode()[:2000]
    assert fingerprint(world["product"]) != before


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_viewer_cannot_change_the_product(client, world, viewer, name):
    path, data = MUTATIONS[name](world)
    before = fingerprint(world["product"])
    client.force_login(viewer)
    assert client.post(path, data).status_code == 403
    assert client.post(path, data, headers={"HX-Request": "true"}).status_code == 403
    assert fingerprint(world["product"]) == before


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_anonymous_visitor_is_sent_to_sign_in_and_changes_nothing(client, world, name):
    path, data = MUTATIONS[name](world)
    before = fingerprint(world["product"])
    response = client.post(path, data)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert fingerprint(world["product"]) == before


def test_viewer_sees_the_product_and_roadmap_without_edit_controls(client, world, viewer):
    client.force_login(viewer)
    for path in [url("detail", world), url("roadmap", world), url("item", world, world["item"].pk)]:
        response = client.get(path)
        assert response.status_code == 200
        html = response.content.decode()
        assert "/edit/" not in html  # no editor to ask for
        assert "Move…" not in html
        assert "drag-handle" not in html
        assert "Add KPI" not in html
        assert 'name="version"' not in html


def test_unknown_product_or_item_is_a_404(client, world, owner):
    client.force_login(owner)
    assert client.get(reverse("products:detail", args=["nope"])).status_code == 404
    other = make_item(make_product(), title="Elsewhere")
    # An item of another product is not reachable through this product's address.
    assert client.get(url("item", world, other.pk)).status_code == 404


def test_a_planner_may_register_a_product_and_becomes_its_owner(client, viewer):
    make_planner(viewer)
    client.force_login(viewer)
    response = client.post(
        reverse("products:create"),
        {"name": "Loyalty app", "owner": viewer.pk, "kind": "customer_app", "stage": "ideation"},
    )
    assert response.status_code == 302
    product = Product.objects.get(asset__slug="loyalty-app")
    assert product.owner == viewer
    assert response["Location"] == product.get_absolute_url()


def test_without_the_planner_permission_registering_a_product_is_refused_with_a_clear_page(
    client, viewer
):
    client.force_login(viewer)
    page = client.get(reverse("products:create"))
    assert page.status_code == 403
    text = page.content.decode()
    assert "needs the planner permission" in text
    assert "Staff grant it in the admin" in text
    assert 'class="topbar"' in text  # the site's layout, not a bare "403 Forbidden"
    response = client.post(
        reverse("products:create"),
        {"name": "Loyalty app", "owner": viewer.pk, "kind": "customer_app", "stage": "ideation"},
    )
    assert response.status_code == 403
    assert not Product.objects.filter(asset__slug="loyalty-app").exists()


def test_only_a_planner_is_offered_the_new_product_button(client, viewer):
    client.force_login(viewer)
    assert "New product" not in client.get(reverse("products:index")).content.decode()
    make_planner(viewer)
    client.force_login(viewer)  # a fresh user object: its permissions are read again
    assert "New product" in client.get(reverse("products:index")).content.decode()


@pytest.mark.parametrize("who", ["owner", "editor", "staff", "viewer", "outsider"])
def test_the_item_edits_rule_is_the_product_querysets_rule(world, request, who):
    """access.may_edit (the in-place edit's one query) and with_can_edit (every page) agree."""
    from django.contrib.auth.models import AnonymousUser

    from products import access

    user = request.getfixturevalue(who)
    product = world["product"]
    annotated = Product.objects.with_can_edit(user).get(pk=product.pk).can_edit
    assert access.may_edit(user, Product.objects.select_related("asset").get(pk=product.pk)) == (
        annotated
    )
    assert annotated == (who in {"owner", "editor", "staff"})
    user.is_active = False
    assert not access.may_edit(user, product)
    assert not access.may_edit(AnonymousUser(), product)


def test_an_item_is_found_only_under_its_own_product(client, world, owner):
    other = make_product(owner=owner, name="Other product", slug="other")
    client.force_login(owner)
    item = world["item"]
    url = reverse("products:item_edit", args=[other.slug, item.pk])
    response = client.post(url, card_data(item, reach=1), headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert RoadmapItem.objects.get(pk=item.pk).reach == item.reach


@pytest.mark.parametrize("who", ["owner", "editor", "staff"])
@pytest.mark.parametrize("with_kpi", [True, False])
def test_the_item_edits_read_is_one_query_with_the_product_and_the_editor_check(
    world, request, who, with_kpi, django_assert_num_queries
):
    from products import access

    user = request.getfixturevalue(who)
    item = world["item"] if with_kpi else RoadmapItem.objects.get(title="Second")
    with django_assert_num_queries(1):
        product, read = access.get_item_for_edit(user, world["product"].slug, item.pk)
        assert product.can_edit
        assert (product.slug, product.owner, read.product) == (
            "email",
            world["product"].owner,
            product,
        )
        assert (read.kpi.name if read.kpi else None) == ("Repurchase rate" if with_kpi else None)
        assert (read.title, read.version) == (item.title, item.version)


def test_the_item_edits_read_refuses_who_may_not_edit_and_unknown_items(world, viewer, owner):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from products import access

    item, slug = world["item"], world["product"].slug
    for user in [viewer, AnonymousUser()]:
        with pytest.raises(PermissionDenied):
            access.get_item_for_edit(user, slug, item.pk)
    owner.is_active = False
    with pytest.raises(PermissionDenied):
        access.get_item_for_edit(owner, slug, item.pk)
    owner.is_active = True
    other = make_product(owner=owner, name="Elsewhere", slug="elsewhere")
    for args in [(slug, item.pk + 1000), ("no-such-product", item.pk), (other.slug, item.pk)]:
        with pytest.raises(Http404):
            access.get_item_for_edit(owner, *args)


def test_only_active_signed_in_planners_and_staff_may_plan(db, viewer):
    planner = make_planner(UserFactory(username="planner"))
    planner = type(planner).objects.get(pk=planner.pk)  # permissions are cached per object
    assert can_plan(planner)
    assert not can_plan(viewer)
    assert not can_plan(AnonymousUser())
    planner.is_active = False
    assert not can_plan(planner)
    viewer.is_staff = True
    assert can_plan(viewer)

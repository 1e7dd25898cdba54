"""Product pages: registering, editing, KPIs, measurements, risks, editors, sanitised text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.urls import reverse

from products.models import Kpi, KpiMeasurement, Product, ProductRisk
from roleplan.ownership.models import AssetKind
from tests.factories import AssetFactory
from tests.products.factories import RiskFactory, make_planner, make_product

NBSP = "\u00a0"


def test_registering_a_product_with_a_taken_name_keeps_the_input(client, product, viewer):
    client.force_login(make_planner(viewer))
    response = client.post(
        reverse("products:create"),
        {
            "name": "email PLATFORM",
            "owner": viewer.pk,
            "kind": "customer_app",
            "stage": "ideation",
            "vision": "My long vision",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "A product with this name is already registered." in html
    assert "My long vision" in html
    assert Product.objects.count() == 1


def test_registering_a_product_with_a_taken_address_says_so(client, product, viewer):
    client.force_login(make_planner(viewer))
    response = client.post(
        reverse("products:create"),
        {
            "name": "Another",
            "slug": "email",
            "owner": viewer.pk,
            "kind": "customer_app",
            "stage": "ideation",
        },
    )
    assert response.status_code == 422
    assert "The address “email” is taken" in response.content.decode()


def test_an_address_made_from_the_name_takes_the_next_free_one(client, viewer):
    """The address is not the person's choice unless they type one: a system asset already
    called "Loyalty app" leaves the product its name and gives it loyalty-app-2 (the form
    used to refuse it for the address alone, and a race could then report the address instead
    of the name taken meanwhile)."""
    AssetFactory(kind=AssetKind.SYSTEM, name="Loyalty app", slug="loyalty-app")
    client.force_login(make_planner(viewer))
    form = {"name": "Loyalty app", "owner": viewer.pk, "kind": "customer_app", "stage": "ideation"}
    response = client.post(reverse("products:create"), form)
    assert response.status_code == 302
    assert Product.objects.get(asset__name="Loyalty app").slug == "loyalty-app-2"
    for name, slug in [("New", "new-product"), ("日本", "product")]:  # reserved, and no letters
        client.post(reverse("products:create"), {**form, "name": name})
        assert Product.objects.get(asset__name=name).slug == slug


def test_markdown_is_rendered_and_sanitised(client, owner):
    product = make_product(
        owner=owner,
        name="Unsafe",
        vision='**Bold** <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror="alert(3)">',
    )
    client.force_login(owner)
    html = client.get(product.get_absolute_url()).content.decode()
    assert "<strong>Bold</strong>" in html
    assert "<script>alert(1)" not in html
    assert "javascript:" not in html
    assert "onerror" not in html


def test_editing_the_product_saves_and_a_stale_save_is_refused(client, product, owner, editor):
    client.force_login(editor)
    path = reverse("products:edit", args=[product.slug])
    data = {
        "version": 1,
        "kind": "component",
        "stage": "launch",
        "scoring": "rice",
        "vision": "Editor's vision",
    }
    assert client.post(path, data).status_code == 302
    client.force_login(owner)
    response = client.post(path, {**data, "vision": "Owner's vision", "stage": "growth"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "saved a change while you were editing" in html
    assert "Editor&#x27;s vision" in html
    assert "Owner&#x27;s vision" in html
    assert Product.objects.get(pk=product.pk).vision == "Editor's vision"


def test_a_kpi_whose_target_does_not_improve_is_refused_next_to_the_target(client, product, owner):
    client.force_login(owner)
    response = client.post(
        reverse("products:kpi_create", args=[product.slug]),
        {
            "name": "Churn",
            "unit": "%",
            "baseline": "5",
            "target_kind": "absolute",
            "target_value": "7",
            "direction": "down",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Lower is better: aim below the baseline." in html
    assert 'value="Churn"' in html
    assert not Kpi.objects.filter(name="Churn").exists()


def test_kpi_names_are_unique_per_product(client, product, kpi, owner):
    client.force_login(owner)
    response = client.post(
        reverse("products:kpi_create", args=[product.slug]),
        {
            "name": kpi.name,
            "baseline": "1",
            "target_kind": "absolute",
            "target_value": "2",
            "direction": "up",
        },
    )
    assert response.status_code == 422
    assert "already has a KPI with this name" in response.content.decode()


def test_recording_measurements_shows_progress_and_a_chart(client, product, kpi, owner):
    client.force_login(owner)
    path = reverse("products:measurement_add", args=[product.slug, kpi.pk])
    client.post(path, {"date": "2026-09-01", "value": "19.5"})
    client.post(path, {"date": "2026-10-01", "value": "21"})
    assert KpiMeasurement.objects.filter(kpi=kpi).count() == 2
    html = client.get(product.get_absolute_url()).content.decode()
    assert 'aria-valuenow="50"' in html  # 21 is half way from 18 to 24
    assert "<polyline" in html
    assert html.count('<circle class="dot"') == 1
    assert html.count('<circle class="last"') == 1


def test_a_bad_measurement_is_refused_with_the_input_kept(client, product, kpi, owner):
    client.force_login(owner)
    response = client.post(
        reverse("products:measurement_add", args=[product.slug, kpi.pk]),
        {"date": "not a date", "value": "19.5"},
    )
    assert response.status_code == 422
    assert "Enter a valid date." in response.content.decode()
    assert 'value="19.5"' in response.content.decode()


def test_risks_are_listed_by_score_with_their_owner(client, product, owner):
    RiskFactory(product=product, title="Small", probability=1, impact=2)
    RiskFactory(product=product, title="Big", probability=5, impact=5, owner=owner)
    client.force_login(owner)
    html = client.get(product.get_absolute_url()).content.decode()
    assert html.index("Big") < html.index("Small")
    assert 'risk-score risk-high"' in html


def test_a_risk_out_of_range_is_refused_next_to_the_field(client, product, owner):
    client.force_login(owner)
    response = client.post(
        reverse("products:risk_create", args=[product.slug]),
        {"title": "Fine", "category": "legal", "probability": 6, "impact": 3, "status": "open"},
    )
    assert response.status_code == 422
    assert "Ensure this value is less than or equal to 5." in response.content.decode()
    assert not ProductRisk.objects.exists()


def test_owner_adds_and_removes_an_editor_who_then_may_edit(client, product, owner, viewer):
    client.force_login(owner)
    client.post(reverse("products:editor_add", args=[product.slug]), {"user": viewer.pk})
    assert product.editors.filter(pk=viewer.pk).exists()
    client.force_login(viewer)
    assert client.get(reverse("products:edit", args=[product.slug])).status_code == 200
    client.force_login(owner)
    client.post(reverse("products:editor_remove", args=[product.slug, viewer.pk]))
    client.force_login(viewer)
    assert client.get(reverse("products:edit", args=[product.slug])).status_code == 403


def test_the_product_list_shows_counts_per_horizon(client, product, owner, viewer):
    from tests.products.factories import make_item

    make_item(product, horizon="now")
    make_item(product, horizon="now", status="shipped")
    make_item(product, horizon="later")
    client.force_login(viewer)
    response = client.get(reverse("products:index"))
    product_row = response.context["products"][0]
    assert (product_row.now_count, product_row.next_count, product_row.later_count) == (1, 0, 1)
    assert product_row.can_edit is False


def test_dashboard_card_lists_products_i_own_or_edit_with_kpi_progress(
    client, product, kpi, editor
):
    KpiMeasurement.objects.create(kpi=kpi, date=date(2026, 9, 1), value=Decimal("21"))
    client.force_login(editor)
    html = client.get("/").content.decode()
    assert "Email platform" in html
    assert "Repurchase rate" in html
    text = html.replace(NBSP, " ")
    assert "now <strong>21.0 %</strong>" in text
    assert "target <strong>24.0 %</strong>" in text
    assert "50.0 % there" in text


def test_removing_an_editor_or_a_measurement_asks_first(client, product, owner, viewer):
    """Both buttons sit behind a <details class="confirm"> that names what goes, as every other
    delete in the app does; the page itself changes nothing."""
    import re

    product.editors.add(viewer)
    kpi = Kpi.objects.create(
        product=product, name="Repurchase rate", unit="%", baseline=18, target_value=24
    )
    KpiMeasurement.objects.create(kpi=kpi, date=date(2026, 11, 3), value=Decimal("18.40"))
    client.force_login(owner)
    html = client.get(reverse("products:detail", args=[product.slug])).content.decode()
    confirms = re.findall(r'<details class="confirm">(.*?)</details>', html, re.S)
    name = viewer.get_full_name() or viewer.username
    assert any(
        f"Remove {name} as editor? They keep read access." in c and "Remove editor</button>" in c
        for c in confirms
    )
    assert any(
        f"Delete the measurement of 3 Nov 2026 (18.4{NBSP}%)?" in c
        and "Delete measurement</button>" in c
        for c in confirms
    )
    assert product.editors.filter(pk=viewer.pk).exists()
    assert KpiMeasurement.objects.filter(kpi=kpi).count() == 1


def test_adding_an_editor_without_a_person_says_so_next_to_the_select(client, product, owner):
    client.force_login(owner)
    before = set(product.editors.values_list("pk", flat=True))
    url = reverse("products:editor_add", args=[product.slug])
    response = client.post(url, {"user": ""})
    assert response.status_code == 422
    html = response.content.decode()
    form = html.split(f'action="{url}"')[1].split("</form>")[0]
    assert 'class="field has-error"' in form
    assert "Choose a person to add as an editor." in form
    assert 'aria-invalid="true"' in form
    assert set(product.editors.values_list("pk", flat=True)) == before

"""An edit refused as stale (or invalid) shows the row as saved in the page's heading, and what
the person typed only in the form and in the "Yours" column."""

from __future__ import annotations

import re

from django.urls import reverse

from products import services
from tests.products.factories import KpiFactory


def heading(response) -> str:
    return re.search(r"<h1>(.*?)</h1>", response.content.decode(), re.S).group(1).strip()


def item_form(item, **changes) -> dict:
    data = {
        "version": 1,
        "title": item.title,
        "status": item.status,
        "horizon": item.horizon,
        "reach": item.reach,
        "impact": "1.00",
        "confidence": 80,
        "effort": "1",
    }
    return {**data, **changes}


def test_a_stale_item_page_save_heads_the_page_with_the_saved_title(client, item, owner, editor):
    url = reverse("products:item", args=["email", item.pk])
    client.force_login(editor)
    assert client.post(url, item_form(item, title="Saved by the editor")).status_code == 302
    client.force_login(owner)
    response = client.post(url, item_form(item, title="Typed by the owner"))
    assert response.status_code == 409
    assert heading(response) == "Saved by the editor"
    html = response.content.decode()
    assert 'value="Typed by the owner"' in html
    assert "<td>Saved by the editor</td><td>Typed by the owner</td>" in html


def test_an_invalid_item_page_save_keeps_the_saved_title_as_heading(client, item, owner):
    client.force_login(owner)
    url = reverse("products:item", args=["email", item.pk])
    response = client.post(url, item_form(item, title="Typed", effort="0"))
    assert response.status_code == 422
    assert heading(response) == item.title
    assert 'value="Typed"' in response.content.decode()


def test_a_stale_kpi_save_heads_the_page_with_the_saved_name(client, product, owner, editor):
    kpi = KpiFactory(product=product, name="Repurchase rate")
    services.kpi_update(kpi_id=kpi.pk, version=1, by=editor, data={"name": "Return rate"})
    client.force_login(owner)
    response = client.post(
        reverse("products:kpi_edit", args=[product.slug, kpi.pk]),
        {
            "version": 1,
            "name": "Typed name",
            "unit": "%",
            "direction": "up",
            "baseline": "18",
            "target_kind": "absolute",
            "target_value": "24",
        },
    )
    assert response.status_code == 409
    assert heading(response) == "Edit KPI “Return rate”"


def test_a_stale_product_save_shows_the_saved_stage_and_the_typed_one_beside_it(
    client, product, owner, editor
):
    services.product_update(product_id=product.pk, version=1, by=editor, data={"stage": "growth"})
    client.force_login(owner)
    response = client.post(
        reverse("products:edit", args=[product.slug]),
        {"version": 1, "kind": "component", "stage": "sunset", "scoring": "rice"},
    )
    assert response.status_code == 409
    assert heading(response) == f"Edit {product.name}"
    html = response.content.decode()
    assert "<td>Growth</td><td>Sunset</td>" in html
    assert '<option value="sunset" selected>' in html

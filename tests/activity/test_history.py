"""History on everything (issue 20, point 5): who changed which field, from what to what, and
when, whether the change came through a page, the API, an import or a decision; the Activity
tabs of a product and a project and each object's own history; who may read them; and the
queries a page of history costs at 10 and at 100 rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from products import roadmap_csv
from products import services as product_services
from products.models import ProductRisk, RiskStatus, RoadmapItem
from products.spreadsheets import read_table
from projects import mspdi_import
from projects.models import Deliverable
from projects.services import plan_import
from roleplan.activity.history import PER_PAGE
from roleplan.activity.models import HistoricalDeliverable, HistoricalProductRisk
from roleplan.people import display_name
from roleplan.versioning import edit_rows
from tests.integrations.conftest import api_client_for
from tests.products.factories import KpiFactory, make_product
from tests.projects.factories import approved_project, grant_planner

FILES = Path(__file__).parent.parent / "products" / "files"
PLAN = Path(__file__).parent.parent / "projects" / "files" / "mpxj_plan.xml"  # as MPXJ writes
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def product(owner):
    return make_product(owner=owner, name="Email marketing platform", slug="email-platform")


@pytest.fixture
def risk(product, owner) -> ProductRisk:
    return product_services.risk_create(
        product=product,
        by=owner,
        title="Cold sending IPs land Black Friday emails in spam",
        category="reputational",
        probability=3,
        impact=4,
        status=RiskStatus.OPEN,
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_text(response) -> str:
    """What a person reads: the answer's text without its markup."""
    assert response.status_code == 200, response.status_code
    text = " ".join(strip_tags(response.content.decode()).split())
    return text


def product_activity(product) -> str:
    return reverse("activity:product_history", args=[product.asset.slug])


def risk_form(risk: ProductRisk, **changes) -> dict:
    data = {
        "title": risk.title,
        "category": risk.category,
        "probability": risk.probability,
        "impact": risk.impact,
        "mitigation": risk.mitigation,
        "owner": risk.owner_id or "",
        "status": risk.status,
        "review_date": risk.review_date or "",
        "version": risk.version,
    }
    return {**data, **changes}


def test_an_edit_through_the_page_shows_who_changed_which_field_from_what_to_what(
    product, risk, owner, editor
):
    product.editors.add(editor)
    url = reverse("products:risk_edit", args=[product.asset.slug, risk.pk])
    response = client_for(editor).post(
        url,
        risk_form(
            risk,
            probability=5,
            status=RiskStatus.MITIGATING,
            owner=owner.pk,
            review_date="2026-11-20",
        ),
    )
    assert response.status_code == 302, response.content.decode()

    latest = HistoricalProductRisk.objects.filter(id=risk.pk).order_by("-history_id").first()
    assert latest.history_user == editor
    assert latest.history_type == "~"

    text = page_text(client_for(owner).get(product_activity(product)))
    assert f"{display_name(editor)} changed product risk {risk.title}" in text
    # Labels are the fields' names, values as a person reads them: choices' labels, people's
    # names, dates.
    assert "Probability 3 → to 5" in text
    assert "Status Open → to Mitigating" in text
    assert f"Owner — → to {display_name(owner)}" in text
    assert "Review date — → to 2026-11-20" in text
    # Its creation, by the person the service was told, comes after (older).
    assert f"{display_name(owner)} created product risk {risk.title}" in text
    assert text.index("changed product risk") < text.index("created product risk")


def test_the_object_page_loads_its_own_history_on_demand(product, risk, owner):
    edit_page = (
        client_for(owner)
        .get(reverse("products:risk_edit", args=[product.asset.slug, risk.pk]))
        .content.decode()
    )
    history_url = reverse("activity:history", args=["product-risk", risk.pk])
    assert f'hx-get="{history_url}"' in edit_page
    product_services.risk_update(
        risk_id=risk.pk, version=risk.version, by=owner, data={"impact": 2}
    )

    region = client_for(owner).get(history_url, **HX)
    assert region.content.decode().lstrip().startswith('<section id="edits"')
    assert "Impact 4 → to 2" in page_text(region)
    # Without htmx, the same history is a page of its own, naming the product.
    whole = page_text(client_for(owner).get(history_url))
    assert "Impact 4 → to 2" in whole
    assert product.asset.name in whole


def test_an_edit_through_the_api_records_the_tokens_person(owner, editor):
    project = approved_project(manager=editor, product_owner=owner, slug="replace-legacy")
    deliverable = project.deliverables.order_by("pk").first()
    api = api_client_for(editor)
    url = f"/api/v1/projects/{project.slug}/deliverables/{deliverable.pk}"
    saved = api.patch(
        url,
        {"title": "Journeys moved over", "status": "in_progress"},
        if_match=f'"{deliverable.version}"',
    )
    assert saved.status_code == 200, saved.content

    latest = HistoricalDeliverable.objects.filter(id=deliverable.pk).order_by("-history_id").first()
    assert latest.history_user == editor
    text = page_text(
        client_for(owner).get(reverse("activity:project_history", args=[project.slug]))
    )
    assert f"{display_name(editor)} changed deliverable Journeys moved over" in text
    assert f"Title {deliverable.title} → to Journeys moved over" in text
    assert "Status Planned → to In progress" in text


def test_a_roadmap_import_shows_its_author_the_file_and_each_fields_old_and_new_value(
    product, owner, editor
):
    table = read_table((FILES / "jpd_ideas.csv").read_bytes())
    mapping = roadmap_csv.proposed_mapping(product, table, roadmap_csv.detect(table.header))
    product_services.roadmap_import(
        product=product, by=owner, table=table, mapping=mapping, note="Imported from jpd_ideas.csv"
    )
    item = RoadmapItem.objects.filter(product=product).order_by("pk").first()
    original = item.title
    RoadmapItem.objects.filter(pk=item.pk).update(title="Renamed by hand")
    product_services.roadmap_import(
        product=product, by=editor, table=table, mapping=mapping, note="Imported again"
    )

    text = page_text(client_for(owner).get(product_activity(product)))
    assert f"{display_name(owner)} created roadmap item {original}" in text
    assert "Imported from jpd_ideas.csv" in text
    assert f"{display_name(editor)} changed roadmap item {original}" in text
    assert f"Title Renamed by hand → to {original}" in text
    # The item's own page keeps the same log (one source: products.RoadmapItemChange).
    item_page = page_text(
        client_for(owner).get(reverse("products:item", args=[product.asset.slug, item.pk]))
    )
    assert "Imported again" in item_page


def test_a_plan_imported_from_ms_project_records_each_row_created_by_the_importer(editor):
    grant_planner(editor)
    proposal = mspdi_import.read(PLAN.read_bytes(), today=date(2026, 12, 7))
    project = plan_import(proposal=proposal, by=editor, manager=editor)

    created = HistoricalDeliverable.objects.filter(project_id=project.pk)
    assert created.count() == project.deliverables.count() == 3
    assert set(created.values_list("history_type", "history_user")) == {("+", editor.pk)}
    text = page_text(
        client_for(editor).get(reverse("activity:project_history", args=[project.slug]))
    )
    assert f"{display_name(editor)} created deliverable Lists migrated" in text
    assert f"{display_name(editor)} created milestone" in text


def test_a_decision_taking_deliverables_out_of_scope_records_each_with_its_author(owner, editor):
    project = approved_project(manager=editor, product_owner=owner, deliverables=3)
    rows = Deliverable.objects.filter(project=project).order_by("pk")[:2]
    edit_rows(
        Deliverable.objects.filter(pk__in=[d.pk for d in rows]), {"in_scope": False}, by=owner
    )

    for deliverable in rows:
        latest = HistoricalDeliverable.objects.filter(id=deliverable.pk).order_by("-history_id")[0]
        assert latest.history_user == owner
        assert latest.in_scope is False
        assert latest.version == deliverable.version + 1
    text = page_text(
        client_for(editor).get(reverse("activity:project_history", args=[project.slug]))
    )
    assert text.count("In scope Yes → to No") == 2


def test_whoever_may_see_the_product_reads_its_history_and_no_one_else(
    product, risk, owner, outsider, client
):
    # Products and projects are visible to everyone signed in (products/access.py): the
    # stakeholder and the colleague with no part in it read what changed, as they read the page.
    assert client_for(outsider).get(product_activity(product)).status_code == 200
    history_url = reverse("activity:history", args=["product-risk", risk.pk])
    assert client_for(outsider).get(history_url).status_code == 200
    # Signed out: the sign-in page, nothing of the product.
    signed_out = client.get(product_activity(product))
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith("/accounts/login/")
    assert risk.title not in client.get(history_url, follow=True).content.decode()
    # Unknown objects and kinds that keep no history here are 404: a sync's existence is its
    # people's to know.
    for kind, pk in [("product-risk", risk.pk + 1000), ("meeting", 1), ("nothing", risk.pk)]:
        url = reverse("activity:history", args=[kind, pk])
        assert client_for(outsider).get(url).status_code == 404
    missing = reverse("activity:product_history", args=["no-such-product"])
    assert client_for(outsider).get(missing).status_code == 404


def test_the_project_tab_is_marked_current_and_pages_go_back_in_time(owner, editor):
    project = approved_project(manager=editor, product_owner=owner, deliverables=1)
    deliverable = project.deliverables.get()
    for n in range(PER_PAGE + 5):
        edit_rows(
            Deliverable.objects.filter(pk=deliverable.pk), {"estimate_days": n + 1}, by=editor
        )

    url = reverse("activity:project_history", args=[project.slug])
    response = client_for(owner).get(url)
    assert 'aria-current="page">Activity</a>' in response.content.decode()
    assert f"{url}?page=2" in response.content.decode()
    assert "Estimate" in page_text(response)
    older = client_for(owner).get(f"{url}?page=2", **HX)
    assert older.content.decode().lstrip().startswith('<section id="edits"')
    second = page_text(older)
    assert "Newer" in second
    # The oldest save comes last: the deliverable's creation and the first estimates.
    assert "created deliverable" in second


def _product_history_rows(product, owner, count: int) -> None:
    """`count` saves spread over a product's KPI, risk and roadmap items."""
    kpi = KpiFactory(product=product, updated_by=owner)
    risk = product_services.risk_create(
        product=product, by=owner, title="Spam", category="legal", probability=1, impact=1
    )
    item = product_services.roadmap_item_create(product=product, by=owner, title="Journeys")
    for n in range(count):
        match n % 3:
            case 0:
                kpi.refresh_from_db()
                product_services.kpi_update(
                    kpi_id=kpi.pk, version=kpi.version, by=owner, data={"unit": f"u{n}"}
                )
            case 1:
                risk.refresh_from_db()
                product_services.risk_update(
                    risk_id=risk.pk, version=risk.version, by=owner, data={"mitigation": f"m{n}"}
                )
            case 2:
                item.refresh_from_db()
                product_services.roadmap_item_update(
                    item_id=item.pk, version=item.version, by=owner, data={"reach": n}
                )


# A page costs: the session, the person, the product; the count and the page's keys (one UNION);
# per kind on the page its rows with their previous copies' ids, and those copies; the people
# named. 12 at most with this mix (10 saves: 12; 100: 10, fewer kinds on the first page).
@pytest.mark.parametrize("count", [10, 100])
def test_the_product_tab_costs_the_same_queries_at_10_and_100_rows(
    product, owner, count, django_assert_max_num_queries
):
    _product_history_rows(product, owner, count)
    client = client_for(owner)
    with django_assert_max_num_queries(12):
        text = page_text(client.get(product_activity(product)))
    assert "Unit" in text
    assert "Mitigation" in text
    assert "Reach" in text


@pytest.mark.parametrize("count", [10, 100])
def test_the_project_tab_costs_the_same_queries_at_10_and_100_rows(
    owner, editor, count, django_assert_max_num_queries
):
    project = approved_project(manager=editor, product_owner=owner, deliverables=2)
    first, second = project.deliverables.order_by("pk")
    for n in range(count):
        target = first if n % 2 else second
        edit_rows(
            Deliverable.objects.filter(pk=target.pk),
            {"due_date": date(2026, 11, 1 + n % 20)},
            by=editor if n % 3 else owner,
        )
    client = client_for(owner)
    with django_assert_max_num_queries(12):
        text = page_text(client.get(reverse("activity:project_history", args=[project.slug])))
    assert "Due date" in text


def test_each_kind_of_object_has_its_own_history_page_under_its_apps_access(
    product, owner, editor, outsider
):
    from roleplan.ownership import services as ownership_services

    asset = product.asset
    ownership_services.asset_update(
        asset_id=asset.pk, expected_version=asset.version, by=owner, team="CRM squad", deputy=editor
    )
    item = product_services.roadmap_item_create(product=product, by=owner, title="Journeys")
    product_services.roadmap_item_update(
        item_id=item.pk, version=item.version, by=editor, data={"title": "Cart journeys"}
    )
    project = approved_project(manager=editor, product_owner=owner, deliverables=1)
    deliverable = project.deliverables.get()
    edit_rows(Deliverable.objects.filter(pk=deliverable.pk), {"moscow": "could"}, by=editor)

    reader = client_for(outsider)
    asset_page = page_text(reader.get(reverse("activity:history", args=["asset", asset.pk])))
    assert f"{display_name(owner)} changed" in asset_page
    assert "Team — → to CRM squad" in asset_page
    assert f"Deputy — → to {display_name(editor)}" in asset_page
    item_page = page_text(reader.get(reverse("activity:history", args=["item", item.pk])))
    assert f"{display_name(editor)} changed" in item_page
    assert "Title Journeys → to Cart journeys" in item_page
    deliverable_page = page_text(
        reader.get(reverse("activity:history", args=["deliverable", deliverable.pk]))
    )
    assert "MoSCoW priority Must have → to Could have" in deliverable_page
    assert project.name in deliverable_page
    # The deliverable's page (its comment thread) loads the same history.
    thread = reader.get(reverse("activity:thread", args=["deliverable", deliverable.pk]))
    history_url = reverse("activity:history", args=["deliverable", deliverable.pk])
    assert f'hx-get="{history_url}"' in thread.content.decode()
    for kind, pk in [("asset", asset.pk + 1000), ("deliverable", deliverable.pk + 1000)]:
        assert reader.get(reverse("activity:history", args=[kind, pk])).status_code == 404


def test_registering_and_confirming_an_asset_name_their_author(owner, editor):
    from roleplan.activity.models import HistoricalAsset
    from roleplan.ownership import services as ownership_services

    asset = ownership_services.asset_register(
        kind="system", name="Billing", owner=owner, by=editor, reason="Registered"
    )
    ownership_services.asset_confirm(asset_id=asset.pk, by=owner)
    rows = list(HistoricalAsset.objects.filter(id=asset.pk).order_by("history_id"))
    assert [(row.history_type, row.history_user) for row in rows] == [("+", editor), ("~", owner)]
    text = page_text(client_for(editor).get(reverse("activity:history", args=["asset", asset.pk])))
    assert "Someone not recorded" not in text
    assert display_name(owner) in text

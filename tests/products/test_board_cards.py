"""The board's cards are written in Python (products/board.py) for speed; the template
products/_card.html is their readable definition. These tests hold the two to the same bytes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils.safestring import SafeString
from django_htmx.middleware import HtmxDetails

from products import board
from products.models import Horizon, RoadmapItem, Status
from products.views import roadmap_context
from tests.products.factories import KpiFactory, make_item


def board_context(user, product, query: str = ""):
    request = RequestFactory().get(reverse("products:roadmap", args=[product.slug]) + query)
    request.user = user
    request.htmx = HtmxDetails(request)
    request.resolver_match = resolve(request.path)
    product = type(product).objects.for_page(user).get(pk=product.pk)
    return request, product, roadmap_context(request, product)


def writer_for(product, context) -> board.CardWriter:
    return board.CardWriter(
        slug=product.slug,
        query=context["state"]["query"],
        can_edit=product.can_edit,
        csrf_token=context["csrf_token"],
        kpi_names={kpi.pk: kpi.name for kpi in context["kpis"]},
    )


def model_item(face: board.Face) -> RoadmapItem:
    """The item of a card as the template reads it, with the neighbours the board gave it."""
    item = RoadmapItem.objects.select_related("kpi", "product__asset").get(pk=face.pk)
    item.before_id, item.after_id = face.before_id, face.after_id
    item.left, item.right = face.left, face.right
    return item


def template_card(request, product, context, item) -> str:
    return render_to_string(
        "products/_card.html",
        {
            "product": product,
            "state": context["state"],
            "item": item,
            "csrf_token": context["csrf_token"],
        },
        request=request,
    )


@pytest.fixture
def crowded_board(product, kpi):
    """Items in every state a card shows: first, middle and last of each column, alone in a
    column, with and without a KPI, every status, markup and quotes in a title, large reaches."""
    other = KpiFactory(product=product, name='Net <promoter> "score"')
    titles = ["Plain", "<script>alert('x')</script>", "Quotes \" and ' & ampersands", "Ünïcode ✓"]
    reaches = [0, 999, 10_000, 45_500, 1_250_000, 7]
    statuses = list(Status.values)
    for n in range(12):
        make_item(
            product,
            title=f"{titles[n % len(titles)]} {n}",
            horizon=[Horizon.NOW, Horizon.NEXT, Horizon.NEXT, Horizon.NEXT][n % 4]
            if n < 11
            else Horizon.LATER,
            kpi=[kpi, other, None][n % 3],
            reach=reaches[n % len(reaches)],
            impact=[Decimal("0.25"), Decimal("3.00"), Decimal("1.00")][n % 3],
            confidence=[50, 80, 100][n % 3],
            effort=[Decimal("0.5"), Decimal("13.25"), Decimal("2")][n % 3],
            status=statuses[n % len(statuses)],
        )
    return product


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["owner", "viewer"])
@pytest.mark.parametrize("query", ["", "?status=idea", "?view=board&kpi={kpi}&status=planned"])
def test_every_card_is_the_template_rendered_in_python(request, crowded_board, kpi, who, query):
    user = request.getfixturevalue(who)
    req, product, context = board_context(user, crowded_board, query.format(kpi=kpi.pk))
    assert product.can_edit == (who == "owner")
    faces = [face for column in context["columns"] for face in column["items"]]
    assert faces or query  # the unfiltered board has cards to compare
    writer = writer_for(product, context)
    for face in faces:
        item = model_item(face)
        assert board.Face.of(item, writer.kpi_names) == face
        card = template_card(req, product, context, item)
        assert writer.column([face]).decode() == f"\n        {card}\n        "
        assert writer.card(item) == card


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["owner", "viewer"])
def test_the_board_page_is_the_same_with_template_cards(request, crowded_board, who):
    """The whole page, rendered once with the fast cards and once with every card rendered
    by the template engine instead."""
    req, product, context = board_context(request.getfixturevalue(who), crowded_board)
    page = render_to_string("products/roadmap.html", context, req)
    fast = context["card_slots"].fill(page).decode()
    faces = [face for column in context["columns"] for face in column["items"]]
    assert len(faces) == 12
    for column in context["columns"]:
        column["cards"] = SafeString(
            "".join(
                f"\n        {template_card(req, product, context, model_item(face))}\n        "
                for face in column["items"]
            )
        )
    slow = render_to_string("products/roadmap.html", context, request=req)
    assert fast.count('class="card-item"') == 12
    assert fast == slow


@pytest.mark.parametrize(
    "score", [0.0, 0.4, 0.5, 1.5, 2.5, 2.4999, 12345.5, 1e7 / 3, 1_000_000.0, 4.2e12]
)
def test_whole_scores_round_as_floatformat_does(score):
    assert board.whole(score) == floatformat(score, 0)


@pytest.mark.django_db
def test_a_remembered_card_carries_each_pages_own_csrf_token(product, item):
    item.before_id = item.after_id = None
    item.left, item.right = None, Horizon.NEXT
    names = {item.kpi_id: "Repurchase rate"}
    first = board.CardWriter(
        slug="email", query="", can_edit=True, csrf_token="a" * 32, kpi_names=names
    )
    second = board.CardWriter(
        slug="email", query="", can_edit=True, csrf_token="b" * 32, kpi_names=names
    )
    assert 'value="aaaa' in first.card(item)
    assert "bbbb" not in first.card(item)
    assert 'value="bbbb' in second.card(item)
    assert "aaaa" not in second.card(item)


@pytest.mark.django_db
def test_an_edited_item_gets_a_new_card(owner, product, item):
    item.before_id = item.after_id = None
    item.left, item.right = None, Horizon.NEXT
    writer = board.CardWriter(
        slug="email", query="", can_edit=True, csrf_token="a" * 32, kpi_names={}
    )
    assert ">Abandoned-cart journeys</a>" in writer.card(item)
    item.title = "Browse abandonment"
    assert ">Browse abandonment</a>" in writer.card(item)
    assert "Abandoned-cart" not in writer.card(item)


@pytest.mark.django_db
def test_remembered_filter_selects_follow_each_query(client, owner, product, kpi):
    client.force_login(owner)
    url = reverse("products:roadmap", args=[product.slug])
    idea = client.get(url, {"status": "idea", "kpi": kpi.pk}).content.decode()
    planned = client.get(url, {"status": "planned"}).content.decode()
    assert '<option value="idea" selected>' in idea
    assert f'<option value="{kpi.pk}" selected>' in idea
    assert '<option value="planned" selected>' in planned
    assert '<option value="idea" selected>' not in planned
    assert f'<option value="{kpi.pk}" selected>' not in planned


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [True, False])
@pytest.mark.parametrize("title", ["\x00cards-0\x00 <!--roleplan-cards-0-->", "x" * 300])
def test_a_refused_title_typed_back_leaves_the_board_whole(
    client, owner, product, item, htmx, title
):
    """The add form shows what was typed; no typed text can stand in for a column's cards."""
    client.force_login(owner)
    url = reverse("products:item_create", args=[product.slug])
    headers = {"HX-Request": "true"} if htmx else {}
    data = {"prefix": "add-now", "add-now-title": title, "add-now-horizon": "now"}
    response = client.post(url, data, headers=headers, follow=not htmx)
    assert response.status_code == (422 if htmx else 200)
    page = response.content.decode()
    assert page.count('class="card-item"') == 1
    assert "Abandoned-cart journeys" in page
    assert "<!--roleplan-cards-" not in page


@pytest.mark.django_db
def test_a_title_that_looks_like_a_card_marker_is_shown_as_text(client, owner, product, item):
    client.force_login(owner)
    url = reverse("products:item_create", args=[product.slug])
    data = {
        "prefix": "add-now",
        "add-now-title": "<!--roleplan-cards-0-->",
        "add-now-horizon": "now",
    }
    page = client.post(url, data, follow=True).content.decode()
    assert page.count('class="card-item"') == 2
    assert ">&lt;!--roleplan-cards-0--&gt;</a>" in page
    assert "<!--roleplan-cards-" not in page


def test_a_columns_compiled_query_reads_what_the_orm_reads(product, kpi, django_assert_num_queries):
    """views.column_rows (the in-place edit's neighbours, rank and scores): its compiled query
    gives the rows of the QuerySet it is written as, with every combination of the filters."""
    from products.views import ROADMAP_DEFAULTS, column_rows, shown_items

    other = KpiFactory(product=product, name="Other")
    items = [
        make_item(
            product,
            title=f"Item {n}",
            horizon=Horizon.values[n % 2],
            status=[Status.IDEA, Status.PLANNED][n % 3 == 0],
            kpi=[kpi, other, None][n % 3],
            reach=100 * n,
        )
        for n in range(9)
    ]
    states = [
        {**ROADMAP_DEFAULTS, "status": status, "kpi": kpi_id}
        for status in ["", Status.PLANNED, Status.SHIPPED]
        for kpi_id in [None, kpi.pk, other.pk]
    ]
    answers = []
    for state in states:
        for horizon in Horizon.values:
            with django_assert_num_queries(1):
                answers.append(column_rows(product, state, horizon))
    expected = [
        list(
            shown_items(product.pk, s, horizon=h)
            .order_by("rank", "id")
            .values_list("pk", "version", "rank", "rice_score", "ice_score")
        )
        for s in states
        for h in Horizon.values
    ]
    assert answers == expected
    assert [len(rows) for rows in answers[:3]] == [5, 4, 0]  # no filter: every item shown
    # And the rows are the items the board's own rule (in_view) shows, without SQL.
    from products.views import in_view

    shown = [
        sorted(i.pk for i in items if i.horizon == h and in_view(s, i.status, i.kpi_id))
        for s in states
        for h in Horizon.values
    ]
    assert [sorted(row[0] for row in rows) for rows in answers] == shown
    assert [len(rows) for rows in shown[9:12]] == [2, 1, 0]  # planned: items 0 and 6, 3


def test_effort_reads_as_person_months_not_a_time_of_day(product):
    from products.board import display

    assert display(make_item(product, title="Half", effort=Decimal("1.5")), "effort") == "1.5 p-m"
    assert display(make_item(product, title="Four", effort=Decimal(4)), "effort") == "4 p-m"

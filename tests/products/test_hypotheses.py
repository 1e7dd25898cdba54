"""Hypotheses (HADI) as rows of their own: a list per product with a status filter and
counts, a page each, created and edited as any versioned row, and a status that, once
concluded, changes the confidence of the roadmap items it is about (in their history)."""

from __future__ import annotations

import re

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from products import services
from products.models import Hypothesis, HypothesisStatus, RoadmapItem, RoadmapItemChange
from roleplan.versioning import StaleEdit
from tests.products.factories import make_item, make_product


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def linked(product, kpi, owner):
    """A running hypothesis about two items: one at 50 % confidence (ICE 6), one at 100 %."""
    low = make_item(product, title="Reminders", horizon="now", confidence=50, ice_confidence=6)
    high = make_item(product, title="Segments", horizon="next", confidence=100)
    hypothesis = services.hypothesis_create(
        product=product,
        by=owner,
        hypothesis="We believe a reminder within two hours brings back one in ten carts.",
        action="Remind half of the carts for four weeks.",
        kpi=kpi,
        items=[low, high],
    )
    return hypothesis, low, high


def conclude(hypothesis, by, status, insight="Learned something.") -> list[RoadmapItem]:
    hypothesis.refresh_from_db()
    _, revised = services.hypothesis_set_status(
        hypothesis_id=hypothesis.pk,
        version=hypothesis.version,
        by=by,
        status=status,
        insight=insight,
    )
    return revised


def test_validating_raises_each_items_confidence_one_step_and_says_why(linked, owner):
    hypothesis, low, high = linked
    revised = conclude(hypothesis, owner, HypothesisStatus.VALIDATED)
    assert [item.pk for item in revised] == [low.pk]  # 100 % has no step above
    low.refresh_from_db()
    high.refresh_from_db()
    assert (low.confidence, low.ice_confidence, high.confidence) == (80, 8, 100)
    change = RoadmapItemChange.objects.filter(item=low).first()
    assert change.note == f"Hypothesis “{hypothesis.short}” validated"
    assert change.link == reverse("products:hypothesis", args=["email", hypothesis.pk])
    assert {row["field"] for row in change.changes} == {"confidence", "ice_confidence"}
    assert not RoadmapItemChange.objects.filter(item=high, note__startswith="Hypothesis").exists()


def test_invalidating_drops_each_items_confidence_to_the_lowest(linked, owner):
    hypothesis, low, high = linked
    conclude(hypothesis, owner, HypothesisStatus.INVALIDATED)
    low.refresh_from_db()
    high.refresh_from_db()
    assert (low.confidence, low.ice_confidence) == (50, 1)
    assert (high.confidence, high.ice_confidence) == (50, None)  # no ICE given, none set
    assert high.changes.first().note.endswith("invalidated")


def test_only_a_conclusion_changes_the_items(linked, owner):
    hypothesis, low, _ = linked
    assert conclude(hypothesis, owner, HypothesisStatus.RUNNING, insight="") == []
    conclude(hypothesis, owner, HypothesisStatus.VALIDATED)
    assert conclude(hypothesis, owner, HypothesisStatus.VALIDATED) == []  # already
    low.refresh_from_db()
    assert low.confidence == 80  # one step, once


def test_a_concluded_hypothesis_states_its_insight(product, owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        Hypothesis.objects.create(
            product=product, hypothesis="We believe", status=HypothesisStatus.VALIDATED
        )


def test_a_stale_status_change_is_refused(linked, owner, editor):
    hypothesis, low, _ = linked
    conclude(hypothesis, owner, HypothesisStatus.RUNNING, insight="")
    with pytest.raises(StaleEdit):
        services.hypothesis_set_status(
            hypothesis_id=hypothesis.pk,
            version=1,
            by=editor,
            status=HypothesisStatus.VALIDATED,
            insight="x",
        )
    low.refresh_from_db()
    assert low.confidence == 50


def test_the_list_filters_by_status_and_counts_each(client, viewer, product, linked, owner):
    services.hypothesis_create(product=product, by=owner, hypothesis="We believe two")
    client.force_login(viewer)
    url = reverse("products:hypotheses", args=[product.slug])
    page = text(client.get(url))
    assert 'aria-current="page">All <span class="badge">2</span>' in page
    assert 'Proposed <span class="badge">2</span>' in page
    assert "We believe two" in page
    assert "2 roadmap items" in page
    running = text(client.get(url, {"status": "running"}))
    assert "We believe two" not in running
    assert "No hypothesis is running" in running


def test_the_product_page_counts_hypotheses_by_status(client, viewer, product, linked):
    client.force_login(viewer)
    page = text(client.get(reverse("products:detail", args=[product.slug])))
    assert "<strong>1</strong>Proposed" in page
    assert "All 1 hypotheses" in page


def test_a_hypothesis_page_shows_hadi_and_its_items(client, viewer, product, linked):
    hypothesis, low, high = linked
    client.force_login(viewer)
    page = text(client.get(hypothesis.get_absolute_url()))
    assert "We believe a reminder within two hours" in page
    assert "Remind half of the carts for four weeks." in page
    assert "KPI <strong>Repurchase rate</strong>" in page
    assert ">Reminders</a>" in page
    assert ">Segments</a>" in page
    assert "Change status" not in page  # a viewer changes nothing


def test_the_item_page_lists_its_hypotheses(client, viewer, product, linked):
    hypothesis, low, _ = linked
    client.force_login(viewer)
    page = text(client.get(reverse("products:item", args=[product.slug, low.pk])))
    assert f'href="{hypothesis.get_absolute_url()}">{hypothesis.short}</a>' in page
    assert "hypothesis-proposed" in page


def test_an_editor_adds_a_hypothesis_from_an_items_page(client, editor, product, kpi):
    item = make_item(product, title="Reminders", horizon="now", kpi=kpi)
    client.force_login(editor)
    url = reverse("products:hypothesis_create", args=[product.slug])
    form = client.get(url, {"item": item.pk}).content.decode()
    assert f'<option value="{item.pk}" selected>Reminders</option>' in form
    response = client.post(
        url,
        {"hypothesis": "We believe reminders work.", "kpi": kpi.pk, "items": [item.pk]},
    )
    hypothesis = Hypothesis.objects.get(product=product)
    assert response.status_code == 302
    assert response["Location"] == hypothesis.get_absolute_url()
    assert (hypothesis.status, list(hypothesis.items.all())) == ("proposed", [item])


def test_the_status_form_changes_the_items_and_says_so(client, owner, product, linked):
    hypothesis, low, _ = linked
    client.force_login(owner)
    url = reverse("products:hypothesis_status", args=[product.slug, hypothesis.pk])
    refused = client.post(url, {"version": 1, "status": "validated", "insight": ""})
    assert refused.status_code == 422
    assert "Say what was learned before concluding the hypothesis." in text(refused)
    response = client.post(
        url,
        {"version": 1, "status": "validated", "insight": "One in eight came back."},
        follow=True,
    )
    page = text(response)
    assert "Hypothesis validated. Confidence changed for “Reminders”." in page
    low.refresh_from_db()
    assert low.confidence == 80
    history = text(client.get(reverse("products:item", args=[product.slug, low.pk])))
    assert f">Hypothesis “{hypothesis.short}” validated</a>" in history


@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_who_may_only_view_cannot_create_edit_or_conclude(client, request, product, linked, who):
    hypothesis, low, _ = linked
    client.force_login(request.getfixturevalue(who))
    slug = product.slug
    assert client.get(reverse("products:hypothesis_create", args=[slug])).status_code == 403
    edit = reverse("products:hypothesis_edit", args=[slug, hypothesis.pk])
    assert client.post(edit, {"version": 1, "hypothesis": "Mine"}).status_code == 403
    status = reverse("products:hypothesis_status", args=[slug, hypothesis.pk])
    data = {"version": 1, "status": "validated", "insight": "x"}
    assert client.post(status, data).status_code == 403
    hypothesis.refresh_from_db()
    assert (hypothesis.status, hypothesis.hypothesis[:10]) == ("proposed", "We believe")


def test_a_hypothesis_of_another_product_is_not_found_under_this_one(client, owner, linked):
    hypothesis, _, _ = linked
    other = make_product(owner=owner, name="Other", slug="other")
    client.force_login(owner)
    url = reverse("products:hypothesis", args=[other.slug, hypothesis.pk])
    assert client.get(url).status_code == 404


def test_a_stale_edit_shows_the_saved_belief_as_the_heading(client, owner, editor, linked):
    hypothesis, low, high = linked
    url = reverse("products:hypothesis_edit", args=["email", hypothesis.pk])
    client.force_login(editor)
    data = {"version": 1, "hypothesis": "Saved belief", "items": [low.pk, high.pk]}
    assert client.post(url, data).status_code == 302
    client.force_login(owner)
    response = client.post(url, {**data, "hypothesis": "Typed belief"})
    assert response.status_code == 409
    page = text(response)
    assert "<h1>Edit “Saved belief”</h1>" in page
    assert "Typed belief</textarea>" in page
    assert "saved a change while you were editing" in page


def test_the_list_costs_the_same_queries_for_3_and_60_hypotheses(client, owner):
    client.force_login(owner)
    counts = []
    for size in (3, 60):
        product = make_product(owner=owner, name=f"Size {size}", slug=f"size-{size}")
        items = [make_item(product, title=f"Item {n}") for n in range(3)]
        for n in range(size):
            services.hypothesis_create(
                product=product, by=owner, hypothesis=f"We believe {n}", items=items[: n % 3]
            )
        url = reverse("products:hypotheses", args=[product.slug])
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1] <= 6, counts


def test_hadi_texts_are_markdown_and_sanitised(client, viewer, product, owner):
    hypothesis = services.hypothesis_create(
        product=product,
        by=owner,
        hypothesis="We believe **reminders** work <script>alert(1)</script>",
        action="- remind half\n- compare",
    )
    client.force_login(viewer)
    html = client.get(hypothesis.get_absolute_url()).content.decode()
    assert "<strong>reminders</strong>" in html
    assert "<li>remind half</li>" in html
    assert "<script>alert(1)" not in html


def test_a_hypothesis_heading_and_link_show_its_words_without_markdown_marks(
    client, product, owner
):
    hypothesis = services.hypothesis_create(
        product=product,
        by=owner,
        hypothesis="We believe **returning shoppers** who see `saved carts` & a [reminder](https://x.test) buy again.",
        action="Show saved carts.",
    )
    words = "We believe returning shoppers who see saved carts & a reminder buy again."
    assert hypothesis.short == words
    client.force_login(owner)
    page = text(client.get(hypothesis.get_absolute_url()))
    assert (
        "<h1>We believe returning shoppers who see saved carts &amp; a reminder buy again.</h1>"
        in page
    )
    listing = text(client.get(reverse("products:hypotheses", args=[product.slug])))
    assert "**" not in listing
    assert "saved carts &amp; a reminder" in listing

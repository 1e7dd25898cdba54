"""A decision moves the roadmap: each option says what it does to the roadmap items it touches;
deciding applies it with the baseline, in one transaction (DESIGN.md's XYZ on top of ABC)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from products import services as product_services
from products.models import RoadmapItem, RoadmapItemChange
from projects import health, services
from projects.models import ChangeOptionItem, ChangeStatus, CostLine, ItemEffect
from projects.services import OptionItem
from tests.projects.factories import make_product, make_roadmap_item

TODAY = date(2026, 10, 1)


@pytest.fixture
def items(project):
    """ABC is planned in Now and Feature A delivers it; XYZ is an idea in Next."""
    product = project.product
    abc = make_roadmap_item(product, "Abandoned carts (ABC)")
    xyz = RoadmapItem.objects.create(
        product=product, title="Recommendations (XYZ)", horizon="next", status="idea", rank=0
    )
    project.deliverables.filter(title="Feature A").update(roadmap_item=abc)
    return abc, xyz


@pytest.fixture
def request_for_xyz(project, product_owner, items):
    abc, xyz = items
    return services.change_request_create(
        project_id=project.pk,
        by=product_owner,
        title="Add XYZ",
        description="XYZ on top of ABC",
        why="Repurchase rate +6%",
        roadmap_item=xyz,
    )


def option(request, manager, title: str, *rows: OptionItem, **impact):
    return services.change_option_create(
        request_id=request.pk, by=manager, title=title, items=list(rows), **impact
    )


def decide(request, product_owner, chosen):
    return services.change_request_decide(
        request_id=request.pk, by=product_owner, rationale="Worth it", option_id=chosen.pk
    )


def cause_of(item: RoadmapItem) -> dict:
    """Why the item's last save changed it: the history row's note and link."""
    change = RoadmapItemChange.objects.filter(item=item).order_by("-id").first()
    return {"new": change.note, "link": change.link}


def test_bringing_an_item_in_plans_it_in_now_delivered_by_the_project_with_a_cost_line(
    project, manager, product_owner, items, request_for_xyz
):
    abc, xyz = items
    chosen = option(
        request_for_xyz,
        manager,
        "Add budget and move the deadline",
        OptionItem(item=xyz, effect=ItemEffect.BRING_IN, adds="Recommendations in emails"),
        deadline_days=14,
        budget_amount=Decimal("8000"),
    )
    forecast_before = health.Costs.for_project(project, TODAY).forecast
    decision = decide(request_for_xyz, product_owner, chosen)

    xyz.refresh_from_db()
    assert (xyz.horizon, xyz.status) == ("now", "planned")
    assert "CR-1 decided: option A" in cause_of(xyz)["new"]
    assert cause_of(xyz)["link"] == request_for_xyz.get_absolute_url()
    added = project.deliverables.get(title="Recommendations in emails")
    assert added.roadmap_item == xyz  # the item the author chose
    assert added.in_scope
    line = CostLine.objects.get(decision=decision)
    assert line.description == "CR-1: Add XYZ"
    assert line.planned == Decimal("8000")
    project.refresh_from_db()
    assert line.date == project.deadline
    # Budget and forecast agree: both grew by the option's amount.
    assert project.budget == Decimal("128000")
    assert health.Costs.for_project(project, TODAY).forecast == forecast_before + Decimal("8000")
    # ABC, untouched, is still planned in Now.
    abc.refresh_from_db()
    assert (abc.horizon, abc.status) == ("now", "planned")


def test_an_item_brought_in_without_deliverables_gets_one_named_after_it(
    project, manager, product_owner, items, request_for_xyz
):
    _abc, xyz = items
    decide(
        request_for_xyz,
        product_owner,
        option(request_for_xyz, manager, "XYZ in", OptionItem(item=xyz, effect="bring_in")),
    )
    assert project.deliverables.get(roadmap_item=xyz).title == "Recommendations (XYZ)"


def test_deferring_sends_the_item_to_its_horizon_and_adds_nothing(
    project, manager, product_owner, items, request_for_xyz
):
    _abc, xyz = items
    in_scope = project.deliverables.filter(in_scope=True).count()
    chosen = option(
        request_for_xyz,
        manager,
        "Keep ABC, backlog XYZ",
        OptionItem(item=xyz, effect=ItemEffect.DEFER, horizon="later"),
    )
    decision = decide(request_for_xyz, product_owner, chosen)
    xyz.refresh_from_db()
    assert (xyz.horizon, xyz.status) == ("later", "idea")
    assert "Keep ABC, backlog XYZ" in cause_of(xyz)["new"]
    assert project.deliverables.filter(in_scope=True).count() == in_scope
    assert not CostLine.objects.filter(decision=decision).exists()


def test_a_simpler_abc_keeps_abc_delivered_by_the_project_and_brings_xyz_in(
    project, manager, product_owner, items, request_for_xyz
):
    abc, xyz = items
    feature_a = project.deliverables.get(title="Feature A")
    chosen = option(
        request_for_xyz,
        manager,
        "A simpler ABC so that XYZ fits",
        OptionItem(item=abc, effect=ItemEffect.SIMPLIFY, adds="ABC, one email"),
        OptionItem(item=xyz, effect=ItemEffect.BRING_IN, adds="XYZ, first version"),
        descopes=[feature_a],
    )
    decide(request_for_xyz, product_owner, chosen)
    feature_a.refresh_from_db()
    assert not feature_a.in_scope
    assert project.deliverables.get(title="ABC, one email").roadmap_item == abc
    assert project.deliverables.get(title="XYZ, first version").roadmap_item == xyz
    # ABC stays among the roadmap items the project delivers, on the scope page too.
    html_items = set(
        project.deliverables.filter(in_scope=True, roadmap_item__isnull=False).values_list(
            "roadmap_item__title", flat=True
        )
    )
    assert html_items == {"Abandoned carts (ABC)", "Recommendations (XYZ)"}
    abc.refresh_from_db()
    assert (abc.horizon, abc.status) == ("now", "planned")
    baseline = project.baselines.get(is_current=True)
    assert set(baseline.items.values_list("title", flat=True)) == {
        "Feature B",
        "ABC, one email",
        "XYZ, first version",
    }


def test_descoping_an_item_takes_its_deliverables_out_and_sends_it_back(
    project, manager, product_owner, items, request_for_xyz
):
    abc, _xyz = items
    RoadmapItem.objects.filter(pk=abc.pk).update(status="in_progress")
    chosen = option(
        request_for_xyz,
        manager,
        "Drop ABC for now",
        OptionItem(item=abc, effect=ItemEffect.DESCOPE, horizon="next"),
    )
    decide(request_for_xyz, product_owner, chosen)
    abc.refresh_from_db()
    assert (abc.horizon, abc.status) == ("next", "planned")
    assert not project.deliverables.get(title="Feature A").in_scope
    baseline = project.baselines.get(is_current=True)
    assert list(baseline.items.values_list("title", flat=True)) == ["Feature B"]


def test_a_failing_roadmap_change_rolls_the_whole_decision_back(
    project, manager, product_owner, items, request_for_xyz, monkeypatch
):
    _abc, xyz = items
    chosen = option(
        request_for_xyz,
        manager,
        "Add budget",
        OptionItem(item=xyz, effect=ItemEffect.BRING_IN),
        budget_amount=Decimal("8000"),
        deadline_days=7,
    )
    before = (project.deadline, project.budget)

    def broken(**kwargs):
        raise RuntimeError("the roadmap is down")

    monkeypatch.setattr(product_services, "roadmap_items_revise", broken)
    with pytest.raises(RuntimeError):
        decide(request_for_xyz, product_owner, chosen)
    project.refresh_from_db()
    request_for_xyz.refresh_from_db()
    assert request_for_xyz.status == ChangeStatus.OPEN
    assert (project.deadline, project.budget) == before
    assert project.baselines.count() == 1
    assert not project.deliverables.filter(roadmap_item=xyz).exists()
    assert not CostLine.objects.filter(description__startswith="CR-1").exists()
    xyz.refresh_from_db()
    assert xyz.horizon == "next"


def test_a_saving_moves_the_budget_but_adds_no_cost_line(
    project, manager, product_owner, request_for_xyz
):
    chosen = option(request_for_xyz, manager, "Cheaper", budget_amount=Decimal("-5000"))
    decision = decide(request_for_xyz, product_owner, chosen)
    project.refresh_from_db()
    assert project.budget == Decimal("115000")
    assert not CostLine.objects.filter(decision=decision).exists()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"effect": "defer", "horizon": ""}, "choose the horizon it goes back to"),
        ({"effect": "bring_in", "horizon": "later"}, "a horizon only goes with"),
        ({"effect": "defer", "horizon": "now"}, "choose the horizon it goes back to"),
    ],
)
def test_an_option_says_clearly_what_happens_to_an_item(
    manager, items, request_for_xyz, row, message
):
    _abc, xyz = items
    with pytest.raises(ValidationError) as caught:
        option(request_for_xyz, manager, "Odd", OptionItem(item=xyz, **row))
    assert message in " ".join(caught.value.message_dict["items"])


def test_an_option_touches_only_items_of_the_projects_product_and_each_once(
    manager, items, request_for_xyz
):
    _abc, xyz = items
    elsewhere = make_roadmap_item(make_product(), "Someone else's")
    with pytest.raises(ValidationError):
        option(request_for_xyz, manager, "Wrong", OptionItem(item=elsewhere, effect="simplify"))
    with pytest.raises(ValidationError):
        option(
            request_for_xyz,
            manager,
            "Twice",
            OptionItem(item=xyz, effect="simplify"),
            OptionItem(item=xyz, effect="bring_in"),
        )


def test_editing_an_option_replaces_its_items(manager, items, request_for_xyz):
    abc, xyz = items
    first = option(request_for_xyz, manager, "A", OptionItem(item=xyz, effect="bring_in"))
    services.change_option_update(
        option_id=first.pk,
        expected_version=first.version,
        by=manager,
        changes={"title": "A, simpler"},
        items=[OptionItem(item=abc, effect="simplify", adds="ABC light")],
    )
    rows = list(ChangeOptionItem.objects.filter(option=first).values_list("item", "effect", "adds"))
    assert rows == [(abc.pk, "simplify", "ABC light")]


def test_the_option_form_saves_item_effects_and_the_decision_page_says_what_moved(
    client, project, manager, product_owner, items, request_for_xyz
):
    abc, xyz = items
    url = reverse("projects:change", args=[project.slug, request_for_xyz.number])
    client.force_login(manager)
    page = client.get(url).content.decode()  # the form, with its long selects, when asked for
    assert "Add an option…" in page
    assert "Roadmap items this option touches" not in page
    add_url = reverse("projects:option_add", args=[project.slug, request_for_xyz.number])
    in_place = client.get(add_url, headers={"HX-Request": "true"}).content.decode()
    assert "Roadmap items this option touches" in in_place
    assert "<html" not in in_place
    assert f'<option value="{xyz.pk}" selected>' in in_place  # rows start at the request's item
    assert "autofocus" in in_place
    own_page = client.get(add_url).content.decode()  # without JavaScript: a page of its own
    assert "<h1>Add an option</h1>" in own_page
    assert "Roadmap items this option touches" in own_page
    data = {
        "title": "Add budget and move the deadline",
        "deadline_days": "14",
        "budget_amount": "8000",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-0-item": str(xyz.pk),
        "items-0-effect": "bring_in",
        "items-0-horizon": "",
        "items-0-adds": "Recommendations in emails",
        "items-1-item": "",
        "items-1-effect": "",
        "items-1-horizon": "",
        "items-1-adds": "",
    }
    bad = client.post(
        reverse("projects:option_add", args=[project.slug, 1]),
        {**data, "items-0-effect": "defer"},
    )
    assert bad.status_code == 422
    assert "Choose the horizon it goes back to." in bad.content.decode()
    assert 'value="Add budget and move the deadline"' in bad.content.decode()
    client.post(reverse("projects:option_add", args=[project.slug, 1]), data)
    chosen = request_for_xyz.options.get()
    assert list(chosen.item_effects.values_list("item", "effect")) == [(xyz.pk, "bring_in")]
    edit = client.get(reverse("projects:option_edit", args=[project.slug, 1, chosen.pk]))
    assert f'<option value="{xyz.pk}" selected>' in edit.content.decode()

    client.force_login(product_owner)
    response = client.post(
        reverse("projects:change_decide", args=[project.slug, 1]),
        {"choice": str(chosen.pk), f"option_version_{chosen.pk}": "1", "rationale": "**Yes**"},
    )
    assert response["Location"] == url + "#decision"
    html = client.get(url).content.decode()
    assert "accepted by Priya Patel" in html
    client.force_login(manager)  # decided: no more options, and asking for the form says why
    closed = client.get(add_url, follow=True)
    assert closed.redirect_chain == [(url, 302)]
    assert "CR-1 is closed: it takes no more options." in closed.content.decode()
    in_place = client.get(add_url, headers={"HX-Request": "true"})  # the whole page, not a swap
    assert (in_place.status_code, in_place["HX-Redirect"]) == (200, url)
    client.force_login(product_owner)
    assert "<strong>Yes</strong>" in html  # the rationale is Markdown
    assert "Recommendations (XYZ)</a>, brought into this project (Now" in html
    assert "CR-1: Add XYZ</a>”, EUR\u00a08,000" in html
    assert project.deliverables.get(roadmap_item=xyz).title == "Recommendations in emails"
    abc.refresh_from_db()
    assert abc.horizon == "now"  # not touched by the option


def test_the_change_list_names_who_decided(client, project, manager, product_owner, items):
    request = services.change_request_create(
        project_id=project.pk, by=manager, title="Drop B", description="d", why="w"
    )
    decision = decide(request, product_owner, option(request, manager, "Drop it"))
    client.force_login(manager)
    html = client.get(reverse("projects:changes", args=[project.slug])).content.decode()
    on = timezone.localtime(decision.decided_at).strftime("%-d %b %Y")
    assert f"Accepted by Priya Patel on {on}; asked by Marco Rossi" in html
    overview = client.get(project.get_absolute_url()).content.decode()
    assert "Accepted by Priya Patel on" in overview

"""Who may act, tested for each role: the project manager, staff and editors edit, ask for
approval and raise change requests; the owner of the project's product asks for changes,
decides them, approves or sends the baseline back and takes baselined scope out with a reason;
everyone else views."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects import services
from projects.models import (
    ChangeOption,
    ChangeRequest,
    CostLine,
    Deliverable,
    ProjectRisk,
)
from tests.projects.factories import ProjectFactory, make_product

ROLES = ["manager", "editor", "staff", "product_owner", "viewer"]
EDITORS = {"manager", "editor", "staff"}


@pytest.fixture
def people(manager, editor, staff, product_owner, viewer):
    return {
        "manager": manager,
        "editor": editor,
        "staff": staff,
        "product_owner": product_owner,
        "viewer": viewer,
    }


@pytest.fixture
def change(project, product_owner, manager):
    request = services.change_request_create(
        project_id=project.pk, by=product_owner, title="Add XYZ", description="XYZ", why="KPI"
    )
    services.change_option_create(request_id=request.pk, by=manager, title="Keep ABC")
    return request


@pytest.mark.parametrize("role", ROLES)
def test_everyone_signed_in_views_every_page_and_export(client, people, role, project, change):
    client.force_login(people[role])
    slug = project.slug
    for url in [
        reverse("projects:index"),
        reverse("projects:detail", args=[slug]),
        reverse("projects:timeline", args=[slug]),
        reverse("projects:risks", args=[slug]),
        reverse("projects:change", args=[slug, change.number]),
        reverse("projects:export_mspdi", args=[slug, slug]),
        reverse("projects:export_ics", args=[slug, slug]),
        reverse("projects:export_deliverables", args=[slug]),
        reverse("projects:export_risks", args=[slug]),
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ROLES)
def test_only_project_manager_editors_and_staff_open_the_edit_page(client, people, role, project):
    client.force_login(people[role])
    response = client.get(reverse("projects:edit", args=[project.slug]))
    assert response.status_code == (200 if role in EDITORS else 403)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "data", "model"),
    [
        (
            "projects:deliverable_add",
            {"title": "New work", "status": "planned", "moscow": "must", "in_scope": "on"},
            Deliverable,
        ),
        (
            "projects:cost_add",
            {
                "category": "vendor",
                "description": "Partner",
                "planned": "100",
                "date": "2026-09-01",
            },
            CostLine,
        ),
    ],
)
def test_only_editors_change_scope_and_costs(client, people, role, project, name, data, model):
    client.force_login(people[role])
    before = model.objects.count()
    response = client.post(reverse(name, args=[project.slug]), data)
    if role in EDITORS:
        assert response.status_code == 302
        assert model.objects.count() == before + 1
    else:
        assert response.status_code == 403
        assert model.objects.count() == before


@pytest.mark.parametrize("role", ROLES)
def test_only_editors_add_risks(client, people, role, project, manager):
    client.force_login(people[role])
    data = {
        "title": "Vendor late",
        "category": "vendor",
        "probability": "3",
        "impact": "4",
        "owner": str(manager.pk),
        "status": "open",
        "review_date": "2026-10-01",
    }
    response = client.post(reverse("projects:risk_add", args=[project.slug]), data)
    assert response.status_code == (302 if role in EDITORS else 403)
    assert ProjectRisk.objects.filter(project=project).count() == (1 if role in EDITORS else 0)


@pytest.mark.parametrize("role", ROLES)
def test_only_editors_answer_a_change_request_with_options(client, people, role, project, change):
    client.force_login(people[role])
    data = {"title": "Move the deadline", "deadline_days": "14", "budget_amount": "1000"}
    response = client.post(reverse("projects:option_add", args=[project.slug, change.number]), data)
    assert response.status_code == (302 if role in EDITORS else 403)
    assert ChangeOption.objects.filter(request=change).count() == (2 if role in EDITORS else 1)


@pytest.mark.parametrize("role", ROLES)
def test_the_product_owner_and_the_project_people_ask_for_a_change(client, people, role, project):
    client.force_login(people[role])
    data = {"title": "Add XYZ", "description": "XYZ too", "why": "Repurchase rate"}
    response = client.post(reverse("projects:change_new", args=[project.slug]), data)
    allowed = role in EDITORS | {"product_owner"}
    assert response.status_code == (302 if allowed else 403)
    assert ChangeRequest.objects.filter(project=project).count() == (1 if allowed else 0)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_product_owner_decides(client, people, role, project, change):
    client.force_login(people[role])
    option = change.options.get()
    data = {"choice": str(option.pk), f"option_version_{option.pk}": "1", "rationale": "Keep it"}
    response = client.post(
        reverse("projects:change_decide", args=[project.slug, change.number]), data
    )
    allowed = role == "product_owner"
    assert response.status_code == (302 if allowed else 403)
    change.refresh_from_db()
    assert change.status == ("accepted" if allowed else "open")


@pytest.mark.parametrize("role", ROLES)
def test_only_the_product_owner_withdraws(client, people, role, project, change):
    client.force_login(people[role])
    response = client.post(reverse("projects:change_withdraw", args=[project.slug, change.number]))
    allowed = role == "product_owner"
    assert response.status_code == (302 if allowed else 403)
    change.refresh_from_db()
    assert change.status == ("withdrawn" if allowed else "open")


@pytest.mark.parametrize("role", ROLES)
def test_the_product_owner_or_staff_approves_the_baseline(
    client, people, role, manager, editor, product_owner
):
    project = ProjectFactory(manager=manager, product=make_product(owner=product_owner))
    project.editors.add(editor)
    client.force_login(people[role])
    url = reverse("projects:approve", args=[project.slug])
    allowed = role in {"product_owner", "staff"}
    assert client.get(url).status_code == (200 if allowed else 403)
    response = client.post(url, {"version": project.version})
    assert response.status_code == (302 if allowed else 403)
    assert project.baselines.count() == (1 if allowed else 0)


def test_without_a_product_the_project_manager_approves(client, manager):
    project = ProjectFactory(manager=manager)
    client.force_login(manager)
    url = reverse("projects:approve", args=[project.slug])
    assert client.post(url, {"version": project.version}).status_code == 302
    assert project.baselines.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_the_project_people_ask_for_approval_and_only_the_owner_sends_it_back(
    client, people, role, manager, editor, product_owner
):
    project = ProjectFactory(manager=manager, product=make_product(owner=product_owner))
    project.editors.add(editor)
    client.force_login(people[role])
    response = client.post(reverse("projects:approval_ask", args=[project.slug]), {"note": ""})
    asks = role in EDITORS
    assert response.status_code == (302 if asks else 403)
    assert project.approvals.count() == (1 if asks else 0)
    if not asks:
        services.approval_request(project_id=project.pk, by=manager)
    response = client.post(
        reverse("projects:approval_return", args=[project.slug]), {"comment": "Add the risks"}
    )
    returns = role in {"product_owner", "staff"}
    assert response.status_code == (302 if returns else 403)
    assert project.approvals.get().status == ("returned" if returns else "pending")


@pytest.mark.parametrize("role", ROLES)
def test_only_the_product_owner_takes_baselined_scope_out_with_a_reason(
    client, people, role, project
):
    deliverable = project.deliverables.first()
    client.force_login(people[role])
    url = reverse("projects:deliverable_remove", args=[project.slug, deliverable.pk])
    allowed = role == "product_owner"
    assert client.get(url).status_code == (200 if allowed else 403)
    data = {"version": deliverable.version, "delete": "0", "reason": "Legal stopped it"}
    assert client.post(url, data).status_code == (302 if allowed else 403)
    deliverable.refresh_from_db()
    assert deliverable.in_scope is not allowed


def test_an_unknown_project_is_not_found(client, viewer):
    client.force_login(viewer)
    assert client.get(reverse("projects:detail", args=["no-such-project"])).status_code == 404
    assert client.get(reverse("projects:change", args=["no-such-project", 1])).status_code == 404


def test_the_page_offers_each_role_only_its_own_actions(
    client, project, manager, product_owner, viewer, change
):
    client.force_login(manager)
    html = client.get(project.get_absolute_url()).content.decode()
    assert "Edit project" in html
    assert "Add a deliverable" in html
    assert "Ask for a change" in html  # to take baselined scope out, say
    assert (
        "Record the decision"
        not in client.get(
            reverse("projects:change", args=[project.slug, change.number])
        ).content.decode()
    )
    client.force_login(product_owner)
    html = client.get(project.get_absolute_url()).content.decode()
    assert "Ask for a change" in html
    assert "Edit project" not in html
    page = client.get(
        reverse("projects:change", args=[project.slug, change.number])
    ).content.decode()
    assert "Record the decision" in page
    assert "Add an option" not in page
    client.force_login(viewer)
    html = client.get(project.get_absolute_url()).content.decode()
    assert "Edit project" not in html
    assert "Ask for a change" not in html
    assert "Add a deliverable" not in html


def test_the_project_is_read_with_its_people_in_one_query(
    project, editor, viewer, django_assert_num_queries
):
    """Every project page reads the project, its product's owner, its manager, who approved it
    and whether the user edits it in one query: the page then asks them without another."""
    from projects.access import get_project

    for user, edits in ((editor, True), (viewer, False)):
        with django_assert_num_queries(1):
            access = get_project(user, project.slug)
            seen = (
                access.project.product.asset.owner.username,
                access.project.manager.username,
                access.project.approved_by.username,
                access.can_edit,
            )
        assert seen[-1] is edits
        assert seen[:3] == (
            project.product.asset.owner.username,
            project.manager.username,
            project.approved_by.username,
        )

"""Long texts are Markdown, sanitised as the product's are (products.rendering); a conflict's
heading shows what is saved, not the unsaved input."""

from __future__ import annotations

from django.urls import reverse

from projects import services


def test_statement_benefits_and_outcomes_are_markdown_without_scripts(client, project, viewer):
    type(project).objects.filter(pk=project.pk).update(
        statement_of_work="- **Migration**\n- Journeys\n\n<script>alert(1)</script>",
        benefits="No more *outages*",
        outcomes="[Report](javascript:alert(1))",
    )
    client.force_login(viewer)
    html = client.get(project.get_absolute_url()).content.decode()
    assert "<li><strong>Migration</strong></li>" in html
    assert "<em>outages</em>" in html
    assert "<script>alert(1)</script>" not in html
    assert "javascript:" not in html


def test_change_request_texts_and_option_descriptions_are_markdown(
    client, project, manager, product_owner
):
    request = services.change_request_create(
        project_id=project.pk,
        by=product_owner,
        title="Add XYZ",
        description="Recommendations **after** the first order",
        why="- repurchase rate\n- retention",
        value="+2 *points*",
    )
    services.change_option_create(
        request_id=request.pk, by=manager, title="B", description="A second `team`"
    )
    client.force_login(manager)
    html = client.get(reverse("projects:change", args=[project.slug, 1])).content.decode()
    assert "<strong>after</strong>" in html
    assert "<li>retention</li>" in html
    assert "<em>points</em>" in html
    assert "<code>team</code>" in html


def test_a_conflict_heading_shows_the_saved_title_not_the_input(client, project, manager, editor):
    d = project.deliverables.get(title="Feature A")
    services.deliverable_update(
        deliverable_id=d.pk, expected_version=1, by=editor, changes={"title": "Saved title"}
    )
    client.force_login(manager)
    response = client.post(
        reverse("projects:deliverable_edit", args=[project.slug, d.pk]),
        {
            "version": "1",
            "title": "My unsaved title",
            "status": "planned",
            "moscow": "must",
            "in_scope": "on",
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    heading = html.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert heading == "Deliverable: Saved title"
    assert 'value="My unsaved title"' in html  # the input is kept in the form

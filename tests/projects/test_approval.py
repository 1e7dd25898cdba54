"""Approval with a path: the project manager asks, the product's owner is told (dashboard,
project page, one email), reads a summary and approves or sends the baseline back."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from projects import services, tasks
from projects.models import ApprovalRequest, ApprovalStatus
from projects.services import Refused
from roleplan.events import Event, subscribe
from tests.projects.factories import (
    DeliverableFactory,
    ProjectFactory,
    RiskFactory,
    make_product,
)


@pytest.fixture
def proposed(manager, product_owner, editor):
    """A project not approved yet: Marco manages it, Priya owns its product."""
    project = ProjectFactory(
        manager=manager, product=make_product(owner=product_owner), name="Email replacement"
    )
    project.editors.add(editor)
    DeliverableFactory(project=project, title="Lists migrated", moscow="must")
    DeliverableFactory(project=project, title="Segment builder", moscow="should")
    RiskFactory(project=project, title="Partner capacity", probability=4, impact=4)
    return project


@pytest.fixture
def run_tasks_here(monkeypatch):
    """The task runs in this process once the transaction commits, as a worker would."""
    monkeypatch.setattr(
        tasks.send_approval_request,
        "delay_on_commit",
        lambda *args: transaction.on_commit(lambda: tasks.send_approval_request.apply(args)),
    )


def test_asking_for_approval_emails_the_owner_once_however_often_the_task_runs(
    proposed, manager, product_owner, run_tasks_here, django_capture_on_commit_callbacks
):
    product_owner.email = "priya@example.com"
    product_owner.save()
    seen = []
    subscribe(Event.APPROVAL_REQUESTED, lambda **ids: seen.append(ids))
    with django_capture_on_commit_callbacks(execute=True):
        approval = services.approval_request(
            project_id=proposed.pk, by=manager, note="Look at the *risks* first"
        )
    assert approval.status == ApprovalStatus.PENDING
    assert {"project_id": proposed.pk, "approval_id": approval.pk} in seen
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["priya@example.com"]
    assert message.subject == "Email replacement: the baseline awaits your approval"
    assert "Marco Rossi asks you to approve" in message.body
    assert f"/projects/{proposed.slug}/approve/" in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    assert "Review and approve" in html
    # The task again (a retry, a second delivery): nothing more is sent.
    assert tasks.send_approval_request.apply([approval.pk]).get() is False
    assert len(mail.outbox) == 1


def test_a_refused_email_gives_its_claim_back_for_the_retry(proposed, manager, monkeypatch):
    approval = services.approval_request(project_id=proposed.pk, by=manager)
    proposed.product.asset.owner.email = "priya@example.com"
    proposed.product.asset.owner.save()

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        services.approval_email_send(approval_id=approval.pk)
    approval.refresh_from_db()
    assert approval.notified_at is None
    monkeypatch.undo()
    assert services.approval_email_send(approval_id=approval.pk) is True
    assert len(mail.outbox) == 1


def test_one_request_waits_at_a_time_and_only_with_benefits_and_a_product(proposed, manager, db):
    services.approval_request(project_id=proposed.pk, by=manager)
    with pytest.raises(Refused, match="already asked for"):
        services.approval_request(project_id=proposed.pk, by=manager)
    without_product = ProjectFactory(manager=manager)
    with pytest.raises(Refused, match="approved by its manager"):
        services.approval_request(project_id=without_product.pk, by=manager)
    unstated = ProjectFactory(manager=manager, product=make_product(), benefits="")
    with pytest.raises(Refused, match="benefits"):
        services.approval_request(project_id=unstated.pk, by=manager)


def test_sending_back_needs_a_comment_and_lets_the_manager_ask_again(
    proposed, manager, product_owner
):
    services.approval_request(project_id=proposed.pk, by=manager)
    with pytest.raises(ValidationError):
        services.approval_return(project_id=proposed.pk, by=product_owner, comment="  ")
    returned = services.approval_return(
        project_id=proposed.pk, by=product_owner, comment="Add the data migration risk"
    )
    assert (returned.status, returned.decided_by) == (ApprovalStatus.RETURNED, product_owner)
    again = services.approval_request(project_id=proposed.pk, by=manager)
    assert again.is_pending
    services.project_approve(project_id=proposed.pk, by=product_owner)
    again.refresh_from_db()
    assert (again.status, again.decided_by) == (ApprovalStatus.APPROVED, product_owner)
    assert proposed.baselines.count() == 1


def test_until_approved_the_health_reads_not_baselined_in_a_neutral_colour(
    client, proposed, manager, viewer
):
    client.force_login(viewer)
    for url in (proposed.get_absolute_url(), reverse("projects:index")):
        html = client.get(url).content.decode()
        assert "badge-neutral" in html
        assert "Not baselined</span>" in html
        assert "On track</span>" not in html


def test_the_path_through_the_pages(client, proposed, manager, product_owner):
    page = proposed.get_absolute_url()
    client.force_login(manager)
    html = client.get(page).content.decode()
    assert "Ask Priya Patel for approval" in html
    client.post(reverse("projects:approval_ask", args=[proposed.slug]), {"note": "Risks first"})
    html = client.get(page).content.decode()
    assert "Awaits approval</span> by Priya Patel" in html
    assert "Ask Priya Patel for approval" not in html

    client.force_login(product_owner)
    assert "baseline awaits your approval" in client.get("/").content.decode()
    assert "Awaits your approval" in client.get(page).content.decode()
    summary = client.get(reverse("projects:approve", args=[proposed.slug])).content.decode()
    assert 'data-summary="scope">2 deliverables' in summary
    assert "Lists migrated" in summary
    assert 'data-summary="budget">EUR\u00a0120,000' in summary
    assert 'data-summary="deadline">23 Nov 2026' in summary
    assert "Partner capacity" in summary
    assert "Risks first" in summary

    empty = client.post(reverse("projects:approval_return", args=[proposed.slug]), {"comment": ""})
    assert empty.status_code == 422
    assert "This field is required." in empty.content.decode()
    client.post(
        reverse("projects:approval_return", args=[proposed.slug]),
        {"comment": "Add the **migration** risk"},
    )
    client.force_login(manager)
    html = client.get(page).content.decode()
    assert "Sent back</span> by Priya Patel" in html
    assert "<strong>migration</strong>" in html
    assert "Ask again for approval" in html
    assert "baseline sent back by Priya Patel" in client.get("/").content.decode()

    client.post(reverse("projects:approval_ask", args=[proposed.slug]), {"note": ""})
    client.force_login(product_owner)
    proposed.refresh_from_db()
    response = client.post(
        reverse("projects:approve", args=[proposed.slug]), {"version": proposed.version}
    )
    assert response["Location"] == page
    proposed.refresh_from_db()
    assert proposed.is_approved
    assert "awaits your approval" not in client.get("/").content.decode()


def test_approving_a_summary_that_changed_meanwhile_is_refused(
    client, proposed, manager, product_owner
):
    client.force_login(product_owner)
    seen = proposed.version
    services.project_update(
        project_id=proposed.pk, expected_version=seen, by=manager, changes={"budget": 150000}
    )
    response = client.post(
        reverse("projects:approve", args=[proposed.slug]), {"version": seen}, follow=True
    )
    assert "changed the project since you opened this summary" in response.content.decode()
    proposed.refresh_from_db()
    assert not proposed.is_approved
    assert ApprovalRequest.objects.count() == 0

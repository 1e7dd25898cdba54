"""The emails of the projects app, written from templates (text and HTML)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from projects.models import ApprovalRequest
from roleplan.people import display_name


def approval_request_email(approval: ApprovalRequest) -> EmailMultiAlternatives | None:
    """The email telling the product's owner that a baseline awaits approval (None when the
    owner has no email address). `approval` comes with its project, product owner, manager and
    requester."""
    project = approval.project
    owner = project.product.asset.owner
    if not owner.email:
        return None
    context = {
        "approval": approval,
        "project": project,
        "owner": owner,
        "requester": display_name(approval.requested_by),
        "url": settings.SITE_URL + reverse("projects:approve", args=[project.slug]),
    }
    message = EmailMultiAlternatives(
        subject=f"{project.name}: the baseline awaits your approval",
        body=render_to_string("projects/email/approval_requested.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[owner.email],
        headers={"Message-ID": f"<approval-{approval.pk}@{settings.EMAIL_MESSAGE_DOMAIN}>"},
    )
    message.attach_alternative(
        render_to_string("projects/email/approval_requested.html", context), "text/html"
    )
    return message

"""Who may manage what: a person their own tokens; webhook subscriptions whoever may change
their scope (a product's owner, editors and staff; a project's manager, editors and staff), and
installation-wide ones staff only. Someone else's token or subscription is a 404: its existence
is not theirs to know."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import Http404

from products.access import get_product_for_edit, may_edit
from products.models import Product
from projects.access import ProjectAccess, get_project_for_edit
from projects.models import Project
from roleplan.integrations.models import ApiToken, WebhookSubscription


def get_token_for_owner(user: User, pk: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=pk, user=user).first()
    if token is None:
        raise Http404("No such token.")
    return token


def can_manage(user: User, subscription: WebhookSubscription) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_staff:
        return True
    # The scope's own rule: whoever may change the product or the project.
    if subscription.product_id:
        return may_edit(user, subscription.product)
    if subscription.project_id:
        return ProjectAccess(project=subscription.project, user=user).can_edit
    return False


def get_subscription_for_edit(user: User, pk: int) -> WebhookSubscription:
    subscription = (
        WebhookSubscription.objects.select_related("owner", "product__asset", "project")
        .filter(pk=pk)
        .first()
    )
    if subscription is None or not can_manage(user, subscription):
        raise Http404("No such webhook.")
    return subscription


def get_scope_for_edit(
    user: User, *, product: str | None, project: str | None
) -> tuple[Product | None, Project | None]:
    """The product or project a new subscription is for (403 for those who may not change
    it); neither: the whole installation, staff only (404 for others, as if it did not exist)."""
    if product:
        return get_product_for_edit(user, product), None
    if project:
        return None, get_project_for_edit(user, project).project
    if not user.is_staff:
        raise Http404("Only staff subscribe to the whole installation.")
    return None, None


def subscriptions_for(user: User):
    """The subscriptions a person sees on their page: their own, and every one for staff."""
    rows = WebhookSubscription.objects.select_related("owner", "product__asset", "project")
    return rows if user.is_staff else rows.filter(owner=user)

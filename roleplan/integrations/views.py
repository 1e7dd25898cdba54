"""The pages of the integrations app: a person's API tokens, and webhook subscriptions with
their delivery log.

A new token's text is shown once, in the answer to the POST that made it (not after a
redirect): only its digest is stored, and keeping the text for a following GET would mean
writing it into the session."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from roleplan.http import HttpRequest
from roleplan.integrations import access, services, targets
from roleplan.integrations.forms import NewSubscriptionForm, SubscriptionForm, TokenForm
from roleplan.integrations.models import EVENT_LABELS, ApiToken

LOG_PAGE = 25


def tokens_context(request: HttpRequest, form: TokenForm, **more) -> dict:
    tokens = ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at")
    return {
        "form": form,
        "tokens": list(tokens),
        "api_base": request.build_absolute_uri("/api/v1/"),
        **more,
    }


@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """Your API tokens: create one (its text shown once), see when each was last used, revoke."""
    if request.method == "GET":
        return render(request, "integrations/tokens.html", tokens_context(request, TokenForm()))
    form = TokenForm(request.POST)
    if not form.is_valid():
        context = tokens_context(request, form)
        return render(request, "integrations/tokens.html", context, status=422)
    token, text = services.token_create(user=request.user, **form.cleaned_data)
    context = tokens_context(request, TokenForm(), created=token, created_text=text)
    response = render(request, "integrations/tokens.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = access.get_token_for_owner(request.user, pk)
    services.token_revoke(token=token)
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("integrations:tokens")


@require_GET
def webhooks(request: HttpRequest) -> HttpResponse:
    subscriptions = access.subscriptions_for(request.user).order_by("-created_at", "-pk")
    return render(
        request,
        "integrations/webhooks.html",
        {"subscriptions": list(subscriptions), "labels": EVENT_LABELS},
    )


@require_http_methods(["GET", "POST"])
def webhook_new(request: HttpRequest) -> HttpResponse:
    initial = {}
    if request.GET.get("product"):
        initial["scope"] = f"product:{request.GET['product']}"
    elif request.GET.get("project"):
        initial["scope"] = f"project:{request.GET['project']}"
    form = NewSubscriptionForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        product, project = access.get_scope_for_edit(request.user, **form.scope_slugs())
        try:
            subscription = services.subscription_create(
                owner=request.user,
                product=product,
                project=project,
                target_url=form.cleaned_data["target_url"],
                kind=form.cleaned_data["kind"],
                events=form.cleaned_data["events"],
            )
        except targets.TargetRefused as exc:
            form.add_error("target_url", str(exc))
        else:
            messages.success(request, "Webhook added. Send a test event to check it.")
            return redirect("integrations:subscription", pk=subscription.pk)
    status = 422 if form.is_bound else 200
    return render(request, "integrations/webhook_new.html", {"form": form}, status=status)


def subscription_context(request: HttpRequest, subscription, form: SubscriptionForm) -> dict:
    log = subscription.deliveries.order_by("-created_at", "-pk").only(
        "event_id",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "last_attempt_at",
        "delivered_at",
        "created_at",
        "next_attempt_at",
        "subscription_id",
    )
    page = Paginator(log, LOG_PAGE).get_page(request.GET.get("page"))
    for delivery in page.object_list:
        delivery.label = EVENT_LABELS.get(delivery.event_type, "Test event")
    return {
        "subscription": subscription,
        "form": form,
        "page": page,
        "labels": EVENT_LABELS,
        "events": [EVENT_LABELS.get(e, e) for e in subscription.events],
    }


@require_http_methods(["GET", "POST"])
def subscription(request: HttpRequest, pk: int) -> HttpResponse:
    """One webhook: its settings, its secret, "send a test event", and its delivery log."""
    sub = access.get_subscription_for_edit(request.user, pk)
    initial = {"target_url": sub.target_url, "kind": sub.kind, "events": sub.events}
    form = SubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_update(subscription=sub, **form.cleaned_data)
        except targets.TargetRefused as exc:
            form.add_error("target_url", str(exc))
        else:
            messages.success(request, "Webhook saved.")
            return redirect("integrations:subscription", pk=sub.pk)
    status = 422 if form.is_bound else 200
    context = subscription_context(request, sub, form)
    return render(request, "integrations/subscription.html", context, status=status)


@require_POST
def subscription_test(request: HttpRequest, pk: int) -> HttpResponse:
    sub = access.get_subscription_for_edit(request.user, pk)
    services.subscription_send_test(subscription=sub)
    messages.success(request, "Test event queued: it appears in the log below.")
    return redirect("integrations:subscription", pk=sub.pk)


@require_POST
def subscription_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    sub = access.get_subscription_for_edit(request.user, pk)
    services.subscription_set_active(subscription=sub, active=not sub.is_active)
    messages.success(request, "Webhook turned off." if sub.is_active else "Webhook turned on.")
    return redirect("integrations:subscription", pk=sub.pk)


@require_POST
def subscription_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    sub = access.get_subscription_for_edit(request.user, pk)
    services.subscription_rotate_secret(subscription=sub)
    messages.success(request, "New secret made: update it at the receiver.")
    return redirect("integrations:subscription", pk=sub.pk)


@require_POST
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    sub = access.get_subscription_for_edit(request.user, pk)
    services.subscription_delete(subscription=sub)
    messages.success(request, f"Webhook to {sub.target_url} deleted.")
    return redirect(reverse("integrations:webhooks"))

"""The private calendar feed (public address with a secret token) and the profile page where
each person sees, copies, replaces or turns off their feed address and sees their reminders."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from roleplan.alignment import calendar
from roleplan.alignment.models import CalendarToken, Delivery
from roleplan.alignment.reminders import local_when
from roleplan.http import HttpRequest

# Deliveries shown on the profile page: the latest few, so a person can see what was sent.
RECENT_DELIVERIES = 8

# The two changes of a feed address, each confirmed on its own page before it is made.
CHANGES = {
    "regenerate": {
        "title": "Replace your calendar address?",
        "consequence": "Calendar apps subscribed to the current address stop updating at once. "
        "You will get a new address to subscribe to.",
        "button": "Replace the address",
        "done": "Your calendar address was replaced. Subscribe to the new one; the old one no "
        "longer works.",
    },
    "revoke": {
        "title": "Turn off your calendar feed?",
        "consequence": "Calendar apps subscribed to the current address stop updating at once, "
        "and no address works until you create a new one.",
        "button": "Turn off the feed",
        "done": "Your calendar feed is off. Nobody can read it any more.",
    },
}


@login_not_required
@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed itself. Public because calendar apps do not sign in: the secret token in the
    address is the key, so an unknown or revoked token is a plain 404."""
    calendar_token = get_object_or_404(
        CalendarToken.objects.select_related("user"), token=token, user__is_active=True
    )
    response = HttpResponse(
        calendar.feed(calendar_token.user), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="roleplan.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    token = CalendarToken.objects.filter(user=user).first()
    now = timezone.now()
    contents = calendar.feed_contents(user, now)
    upcoming = [o for o in contents.syncs if o.starts_at > now]
    series = {o.series.pk: o.series for o in contents.syncs}.values()
    recent = list(
        Delivery.objects.filter(recipient=user)
        .select_related(
            "meeting__series__product_manager",
            "meeting__series__project_manager",
            "series__product_manager",
            "series__project_manager",
        )
        .order_by("-created_at", "-pk")[:RECENT_DELIVERIES]
    )
    context = {
        "token": token,
        "feed_url": calendar.feed_url(token) if token else "",
        "webcal_url": calendar.webcal_url(token) if token else "",
        "sync_count": len(upcoming),
        "next_sync": local_when(upcoming[0].starts_at, upcoming[0].series) if upcoming else None,
        "next_sync_series": upcoming[0].series if upcoming else None,
        "milestone_count": sum(1 for m in contents.milestones if m.done_on is None),
        "deadline_count": len(contents.projects),
        "series": sorted(series, key=lambda s: str(s)),
        "recent": recent,
    }
    return render(request, "alignment/profile.html", context)


@require_http_methods(["GET", "POST"])
def calendar_change(request: HttpRequest, action: str) -> HttpResponse:
    """GET: the confirmation page of a change of address. POST: make it, then back to the
    profile. Creating the first address needs no confirmation: nothing is lost."""
    change = CHANGES.get(action)
    if change is None:
        raise Http404
    has_token = CalendarToken.objects.filter(user=request.user).exists()
    if request.method == "POST":
        if action == "regenerate":
            calendar.calendar_token_regenerate(user=request.user)
            text = change["done"] if has_token else "Your calendar address is ready."
            messages.success(request, text)
        elif calendar.calendar_token_revoke(user=request.user):
            messages.success(request, change["done"])
        return redirect("alignment:profile")
    if not has_token:
        return redirect("alignment:profile")
    return render(request, "alignment/calendar_confirm.html", {"action": action, "change": change})

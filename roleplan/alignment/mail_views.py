"""What the sync's emails lead to: the preview of a meeting's next reminder, and the one-click
unsubscribe of RFC 8058.

The unsubscribe address carries a signed token naming the person (reminders.unsubscribe_token),
so it works without signing in, from any mail client:
- GET shows a page that says whether that person's reminders are on, with a button to turn them
  off (or on again);
- POST turns them off. A mail client's one-click POST (body `List-Unsubscribe=One-Click`) carries
  no CSRF token, so this one endpoint is CSRF-exempt: the signed token is what proves the link
  came from roleplan's email, and the change it makes is harmless and idempotent;
- POST to .../on/ turns them on again (from the page: a normal form with its CSRF token).
A token that does not verify is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from roleplan.alignment import reminders, services
from roleplan.alignment.access import get_meeting_for_view
from roleplan.alignment.models import ReminderSetting
from roleplan.http import HttpRequest


@require_GET
def reminder_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The next reminder of this meeting as the viewer would get it, and when it goes out."""
    meeting = get_meeting_for_view(request.user, pk)
    context = {
        "meeting": meeting,
        "series": meeting.series,
        "preview": reminders.reminder_preview(meeting, request.user),
    }
    return render(request, "alignment/reminder_preview.html", context)


def _person(token: str) -> User:
    user_id = reminders.unsubscribe_user_id(token)
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        raise Http404("This link is not valid.")
    return user


def _page(request: HttpRequest, token: str, user: User, status: int = 200) -> HttpResponse:
    setting = ReminderSetting.objects.filter(user=user).first()
    context = {
        "token": token,
        "person": user,
        "reminders_on": setting is None or setting.reminders,
        "changed_at": setting.changed_at if setting else None,
    }
    return render(request, "alignment/unsubscribe.html", context, status=status)


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user = _person(token)
    if request.method == "GET":
        return _page(request, token, user)
    services.reminders_set(user=user, on=False)
    if request.POST.get("List-Unsubscribe") == "One-Click":
        # A mail client's one-click POST: an answer, no redirect to follow.
        return _page(request, token, user)
    messages.success(request, "Your sync reminders are off.")
    return redirect("alignment:unsubscribe", token)


@login_not_required
@require_POST
def resubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user = _person(token)
    services.reminders_set(user=user, on=True)
    messages.success(request, "Your sync reminders are on again.")
    return redirect("alignment:unsubscribe", token)

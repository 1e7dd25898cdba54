"""The inbox at /notifications/: one's notifications, newest first, filtered by kind and by
unread, a page at a time; marking one or all read; the top bar's count; the choices per kind."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from roleplan.activity import notifications, services
from roleplan.activity.forms import PreferencesForm
from roleplan.activity.models import Kind, Notification, NotificationPreference
from roleplan.http import HttpRequest

PER_PAGE = 25


@dataclass(frozen=True)
class InboxFilters:
    kind: str
    unread: bool

    @classmethod
    def of(cls, params) -> InboxFilters:
        kind = params.get("kind", "")
        return cls(kind=kind if kind in Kind.values else "", unread=params.get("unread") == "1")

    def params(self, **extra) -> str:
        values = {"kind": self.kind, "unread": "1" if self.unread else "", **extra}
        return urlencode({k: v for k, v in values.items() if v})

    def apply(self, queryset):
        if self.kind:
            queryset = queryset.filter(kind=self.kind)
        if self.unread:
            queryset = queryset.unread()
        return queryset


def inbox_context(request: HttpRequest) -> dict:
    filters = InboxFilters.of(request.GET)
    mine = Notification.objects.filter(recipient=request.user)
    rows = filters.apply(mine).select_related("actor")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return {
        "filters": filters,
        "page": page,
        "kinds": Kind.choices,
        "previous_query": filters.params(page=page.previous_page_number())
        if page.has_previous()
        else "",
        "next_query": filters.params(page=page.next_page_number()) if page.has_next() else "",
        "filter_query": filters.params(),
    }


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    context = inbox_context(request)
    if request.htmx:
        return render(request, "activity/inbox.html#inbox-list", context)
    return render(request, "activity/inbox.html", context)


def _back(request: HttpRequest) -> str:
    query = request.POST.get("query", "")
    return reverse("activity:inbox") + (f"?{query}" if query else "")


@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    services.notifications_mark_read(by=request.user, notification_id=notification_id)
    if not request.htmx:
        return redirect(_back(request))
    response = render(request, "activity/inbox.html#inbox-list", inbox_context(request))
    return trigger_client_event(response, "notificationsRead")


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_read(by=request.user)
    if not request.htmx:
        messages.success(request, f"{count} marked read." if count else "Nothing was unread.")
        return redirect(_back(request))
    response = render(request, "activity/inbox.html#inbox-list", inbox_context(request))
    return trigger_client_event(response, "notificationsRead")


@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    """The top bar's link with the unread count, counted (and cached) now."""
    count = notifications.unread_count(request.user.pk)
    return render(request, "activity/_inbox_link.html", {"count": count, "counted": True})


@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    current = dict(
        NotificationPreference.objects.filter(user=request.user).values_list("kind", "delivery")
    )
    form = PreferencesForm(request.POST or None, current=current)
    if request.method == "POST":
        if form.is_valid():
            services.preferences_save(by=request.user, choices=form.cleaned_data)
            messages.success(request, "Your notification choices are saved.")
            return redirect("activity:settings")
        return render(request, "activity/settings.html", {"form": form}, status=422)
    return render(request, "activity/settings.html", {"form": form})

"""The sync index and a series' settings. The sync page itself: meeting_views.py."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects.models import Project, ProjectStatus
from roleplan.alignment import services
from roleplan.alignment.access import get_project_for_setup, get_series_for_view
from roleplan.alignment.forms import SeriesForm
from roleplan.alignment.models import SyncMeeting, SyncSeries, projects_of
from roleplan.http import HttpRequest
from roleplan.people import display_name
from roleplan.versioning import StaleEdit

# Meetings listed on the index: the coming ones, and the latest held.
UPCOMING_SHOWN = 20
PAST_SHOWN = 30


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The user's syncs: one row per pair they belong to, with the projects the two share now
    and the next meeting; then the meetings coming and those held that the user took part in.
    Reads only: a pair sharing an active project without its series yet (normally created at
    once) is listed with a button that sets it up with a POST. A fixed number of queries."""
    user = request.user
    show_all = user.is_staff and request.GET.get("all") == "1"
    series_qs = SyncSeries.objects.with_people().with_shared().order_by("pk")
    if not show_all:
        series_qs = series_qs.involving(user)
    series = list(series_qs)
    projects = projects_of(series)
    now = timezone.now()
    rows = []
    for one in series:
        _week, start = one.next_start(now)
        rows.append(
            {
                "series": one,
                "projects": projects[one.pk],
                "next_start": start,
                "next_local": start.astimezone(one.tz),
                "why_not": one.not_meeting_why,
            }
        )
    rows.sort(key=lambda r: (bool(r["why_not"]), r["next_start"]))
    mark_clashes(rows, now)
    meetings = SyncMeeting.objects.with_people().order_by("-starts_at")
    if not show_all:
        meetings = meetings.involving(user)
    horizon = now - timedelta(hours=2)
    upcoming = list(
        meetings.filter(starts_at__gte=horizon, series__in=SyncSeries.objects.running()).order_by(
            "starts_at"
        )[:UPCOMING_SHOWN]
    )
    past = list(meetings.filter(starts_at__lt=horizon)[:PAST_SHOWN])
    context = {
        "series_list": rows,
        "any_meets": any(not row["why_not"] for row in rows),
        "unscheduled": unscheduled_pairs(user, series, show_all),
        "upcoming": upcoming,
        "past": past,
        "show_all": show_all,
    }
    return render(request, "alignment/index.html", context)


def unscheduled_pairs(user, series: list[SyncSeries], show_all: bool) -> list[dict]:
    """Pairs sharing an active project that have no series yet (one query): the projects,
    grouped by pair, each with the slug the set-up button posts."""
    have = {(s.product_manager_id, s.project_manager_id) for s in series}
    projects = Project.objects.filter(status=ProjectStatus.ACTIVE, product__isnull=False)
    if not show_all:
        projects = projects.filter(Q(manager=user) | Q(product__asset__owner=user))
    pairs: dict[tuple[int, int], dict] = {}
    for project in projects.select_related("manager", "product__asset__owner").order_by(
        "product__asset__name", "name"
    ):
        owner = project.product.asset.owner
        key = (owner.pk, project.manager_id)
        if key in have or owner.pk == project.manager_id:
            continue
        pair = pairs.setdefault(
            key, {"owner": owner, "manager": project.manager, "projects": [], "slug": project.slug}
        )
        pair["projects"].append(project)
    return list(pairs.values())


def mark_clashes(rows: list[dict], now: datetime) -> None:
    """Give each row the pairs whose weekly sync overlaps its own for one of its two people:
    one person cannot be in both. The slots are compared in the same week, each in its own
    time zone."""
    for row in rows:
        row["clashes"] = []
    meeting = [row for row in rows if not row["why_not"]]
    for row in meeting:
        series = row["series"]
        start = series.starts_at(series.week_start(now))
        row["slot"] = (start, start + timedelta(minutes=series.duration_minutes))
        row["people"] = {series.product_manager_id, series.project_manager_id}
    for n, a in enumerate(meeting):
        for b in meeting[n + 1 :]:
            if (
                a["people"] & b["people"]
                and a["slot"][0] < b["slot"][1]
                and b["slot"][0] < a["slot"][1]
            ):
                a["clashes"].append(pair_name(b["series"]))
                b["clashes"].append(pair_name(a["series"]))


def pair_name(series: SyncSeries) -> str:
    return f"{display_name(series.product_manager)} × {display_name(series.project_manager)}"


@require_POST
def set_up_series(request: HttpRequest, slug: str) -> HttpResponse:
    """Set up the weekly sync of the pair of an active project that serves a product (the
    project's manager, its product's owner, staff), then open its settings."""
    project = get_project_for_setup(request.user, slug)
    series = services.series_ensure_for_project(project_id=project.pk)
    if series is None:
        messages.error(
            request,
            "Only an active project that serves a product, whose owner does not manage it "
            "herself, has a weekly sync.",
        )
        return redirect("alignment:index")
    messages.success(request, "The weekly sync is set up: choose its day and time.")
    return redirect("alignment:series", series.pk)


@require_POST
def prepare_now(request: HttpRequest, series_id: int) -> HttpResponse:
    """Prepare (or refresh) this week's meeting of a series and open it."""
    series = get_series_for_view(request.user, series_id)
    why_not = series.not_meeting_why
    if why_not:
        messages.error(request, f"This weekly sync does not meet ({why_not}): no meeting to open.")
        return redirect("alignment:index")
    meeting = services.meeting_prepare_current(series=series)
    return redirect(meeting)


@require_http_methods(["GET", "POST"])
def series_edit(request: HttpRequest, series_id: int) -> HttpResponse:
    series = get_series_for_view(request.user, series_id)
    conflict = None
    if request.method == "POST":
        form = SeriesForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.series_update(
                    series_id=series.pk,
                    expected_version=data["version"],
                    weekday=data["weekday"],
                    time=data["time"],
                    time_zone=data["time_zone"],
                    duration_minutes=data["duration_minutes"],
                    paused=data["paused"],
                    by=request.user,
                )
            except StaleEdit as exc:
                # The person's choices stay in the form, now based on the saved version:
                # saving again applies them on purpose.
                conflict = exc
                form = SeriesForm({**request.POST.dict(), "version": exc.current.version})
                form.is_valid()
            else:
                messages.success(request, "The weekly sync is updated.")
                return redirect("alignment:index")
    else:
        form = SeriesForm(
            initial={
                "weekday": series.weekday,
                "time": series.time,
                "time_zone": series.time_zone,
                "duration_minutes": series.duration_minutes,
                "paused": series.paused,
                "version": series.version,
            }
        )
    status = 409 if conflict else (422 if form.errors else 200)
    context = {
        "series": series,
        "projects": projects_of([series])[series.pk],
        "form": form,
        "conflict": conflict,
    }
    return render(request, "alignment/series_form.html", context, status=status)

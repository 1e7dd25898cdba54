from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from projects.models import ChangeRequest, ChangeStatus, Project, ProjectStatus
from roleplan.alignment import services
from roleplan.alignment.access import (
    get_meeting_for_view,
    get_project_for_setup,
    get_series_for_view,
)
from roleplan.alignment.forms import ActionItemForm, DecisionForm, NotesForm, SeriesForm
from roleplan.alignment.models import (
    SECTION_ORDER,
    ActionItem,
    AgendaEntry,
    Decision,
    SyncMeeting,
    SyncSeries,
)
from roleplan.http import HttpRequest
from roleplan.versioning import StaleEdit


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The user's syncs: every series they take part in with its next meeting, then the
    meetings already prepared, upcoming first. Reads only: an active project without its
    series (normally created when the project becomes active) is listed with a button that
    sets it up with a POST."""
    show_all = request.user.is_staff and request.GET.get("all") == "1"
    series_qs = SyncSeries.objects.with_people().order_by("project__deadline", "project__name")
    if not show_all:
        series_qs = series_qs.involving(request.user)
    now = timezone.now()
    series_list = []
    for series in series_qs:
        week, start = series.next_start(now)
        series_list.append(
            {
                "series": series,
                "next_start": start,
                "next_local": start.astimezone(series.tz),
                "why_not": series.not_meeting_why,
            }
        )
    mark_clashes(series_list, now)
    meetings = SyncMeeting.objects.with_people().order_by("-starts_at")
    if not show_all:
        meetings = meetings.involving(request.user)
    horizon = now - timezone.timedelta(hours=2)
    # Upcoming: meetings that will take place, of series that still meet (running()).
    upcoming = list(
        meetings.filter(starts_at__gte=horizon, series__in=SyncSeries.objects.running()).order_by(
            "starts_at"
        )[:20]
    )
    past = list(meetings.filter(starts_at__lt=horizon)[:30])
    unscheduled = Project.objects.filter(
        status=ProjectStatus.ACTIVE, product__isnull=False, sync_series__isnull=True
    ).select_related("manager", "product__asset__owner")
    if not show_all:
        unscheduled = unscheduled.filter(
            Q(manager=request.user) | Q(product__asset__owner=request.user)
        )
    context = {
        "series_list": series_list,
        "any_meets": any(not row["why_not"] for row in series_list),
        "unscheduled": list(unscheduled.order_by("deadline", "name")),
        "upcoming": upcoming,
        "past": past,
        "show_all": show_all,
    }
    return render(request, "alignment/index.html", context)


def mark_clashes(rows: list[dict], now: datetime) -> None:
    """Give each row the projects whose weekly sync overlaps its own for one of the same two
    people: one person cannot be in both. The slots are compared in the same week, each in its
    own time zone."""
    for row in rows:
        row["clashes"] = []
    meeting = [row for row in rows if not row["why_not"]]
    for row in meeting:
        series = row["series"]
        start = series.starts_at(series.week_start(now))
        row["slot"] = (start, start + timezone.timedelta(minutes=series.duration_minutes))
        row["people"] = {p.pk for p in series.participants()}
    for n, a in enumerate(meeting):
        for b in meeting[n + 1 :]:
            if (
                a["people"] & b["people"]
                and a["slot"][0] < b["slot"][1]
                and b["slot"][0] < a["slot"][1]
            ):
                a["clashes"].append(b["series"].project.name)
                b["clashes"].append(a["series"].project.name)


@require_POST
def set_up_series(request: HttpRequest, slug: str) -> HttpResponse:
    """Set up the weekly sync of an active project that serves a product and has none yet (the
    project's manager, its product's owner, staff), then open its settings."""
    project = get_project_for_setup(request.user, slug)
    series = services.series_ensure_for_project(project_id=project.pk)
    if series is None:
        messages.error(request, "Only an active project that serves a product has a weekly sync.")
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


# --- the sync page and its regions ---------------------------------------------------------------
#
# The page is open in both managers' browsers during the meeting and its action and decision
# lists poll every 10 seconds, so each region reads only what it shows: a poll of the decision
# list is one query after the meeting's own.


def common_context(meeting: SyncMeeting) -> dict:
    """What every region reads: the meeting (from get_meeting_for_view) and whether it is over."""
    now = timezone.now()
    return {
        "meeting": meeting,
        "series": meeting.series,
        "is_past": meeting.is_over(now),
        "today": timezone.localdate(now, meeting.series.tz),
    }


def agenda_context(request: HttpRequest, meeting: SyncMeeting) -> dict:
    """The agenda's four sections, in the meeting's order, with who ticked each line."""
    prefetch_related_objects(
        [meeting],
        Prefetch(
            "entries",
            queryset=AgendaEntry.objects.select_related("discussed_by").order_by("position", "id"),
            to_attr="agenda",
        ),
    )
    entries = meeting.agenda
    sections = [
        {
            "key": section.value,
            "label": section.label,
            "entries": [e for e in entries if e.section == section],
        }
        for section in SECTION_ORDER
    ]
    return {
        "sections": sections,
        "entry_count": len(entries),
        "discussed_count": sum(1 for e in entries if e.discussed),
    }


def action_list_context(request: HttpRequest, meeting: SyncMeeting) -> dict:
    items = list(ActionItem.objects.shown_in(meeting))
    return {
        "carried": [i for i in items if i.meeting_id != meeting.pk],
        "action_items": [i for i in items if i.meeting_id == meeting.pk],
    }


def item_owners(meeting: SyncMeeting) -> list[User]:
    """Who can own an action item: the meeting's two people first, then everyone active."""
    participants = meeting.series.participants()
    others = (
        User.objects.filter(is_active=True)
        .exclude(pk__in=[p.pk for p in participants])
        .order_by("first_name", "last_name", "username")
        .only("username", "first_name", "last_name", "is_active")
    )
    return [*participants, *others]


def actions_context(
    request: HttpRequest, meeting: SyncMeeting, action_form: ActionItemForm | None = None
) -> dict:
    if action_form is None:
        action_form = ActionItemForm(
            people=item_owners(meeting), initial={"owner": request.user.pk}
        )
    return {**action_list_context(request, meeting), "action_form": action_form}


def decision_list_context(request: HttpRequest, meeting: SyncMeeting) -> dict:
    prefetch_related_objects(
        [meeting],
        Prefetch(
            "decisions",
            queryset=Decision.objects.select_related("made_by", "change_request__project").order_by(
                "created_at", "id"
            ),
            to_attr="decision_list",
        ),
    )
    return {"decisions": meeting.decision_list}


def settleable_change_requests(meeting: SyncMeeting) -> list[ChangeRequest]:
    """The project's open change requests, and those a decision of this meeting settles."""
    return list(
        ChangeRequest.objects.filter(project_id=meeting.series.project_id)
        .filter(Q(status=ChangeStatus.OPEN) | Q(sync_decisions__meeting=meeting))
        .distinct()
        .order_by("-number")
    )


def decisions_context(
    request: HttpRequest, meeting: SyncMeeting, decision_form: DecisionForm | None = None
) -> dict:
    if decision_form is None:
        decision_form = DecisionForm(change_requests=settleable_change_requests(meeting))
    return {
        **decision_list_context(request, meeting),
        "decision_form": decision_form,
        "offers_change_requests": bool(decision_form.change_requests),
    }


def notes_context(request: HttpRequest, meeting: SyncMeeting) -> dict:
    return {}


REGIONS = {
    "agenda": agenda_context,
    "notes": notes_context,
    "actions": actions_context,
    "action-list": action_list_context,
    "decisions": decisions_context,
    "decision-list": decision_list_context,
}


def region_context(request: HttpRequest, meeting: SyncMeeting, region: str, **extra) -> dict:
    """What one region of the page shows (extra: a form with errors, the notes' conflict)."""
    forms = {k: extra.pop(k) for k in ("action_form", "decision_form") if k in extra}
    return {**common_context(meeting), **REGIONS[region](request, meeting, **forms), **extra}


def meeting_context(request: HttpRequest, meeting: SyncMeeting, **extra) -> dict:
    """What the whole page shows (extra: a form with errors, the notes' conflict)."""
    series = meeting.series
    context = common_context(meeting)
    context.update(agenda_context(request, meeting))
    context.update(actions_context(request, meeting, extra.pop("action_form", None)))
    context.update(decisions_context(request, meeting, extra.pop("decision_form", None)))
    context.update(
        {
            "project": series.project,
            "product": series.project.product,
            "product_manager": series.product_manager,
            "project_manager": series.project_manager,
            # The heading reads the meeting's times in the series' own zone.
            "local_start": meeting.starts_at.astimezone(series.tz),
            "local_end": meeting.ends_at.astimezone(series.tz),
        }
    )
    return {**context, **extra}


def page_meeting(request: HttpRequest, pk: int) -> SyncMeeting:
    """The meeting as the whole page reads it: with who saved the notes and its neighbours."""
    return get_meeting_for_view(request.user, pk, SyncMeeting.objects.for_page())


@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    region = request.htmx.target if request.htmx else None
    if region in REGIONS:
        # A region (the polled lists every 10 seconds) reads the meeting and its people only.
        meeting = (
            page_meeting(request, pk)
            if region == "notes"
            else get_meeting_for_view(request.user, pk)
        )
        return render(
            request,
            f"alignment/meeting.html#{region}",
            region_context(request, meeting, region),
        )
    meeting = page_meeting(request, pk)
    return render(request, "alignment/meeting.html", meeting_context(request, meeting))


@require_POST
def refresh_agenda(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_view(request.user, pk)
    series = meeting.series
    if meeting.is_over():
        # A sync that is over keeps the agenda it was held with: the record of what was on the
        # table that week. (The button is gone; a page opened before the end can still post.)
        if request.htmx:
            return render(
                request,
                "alignment/meeting.html#agenda",
                region_context(request, meeting, "agenda"),
            )
        messages.info(request, "This sync is over: its agenda stays as it was.")
        return redirect(meeting)
    services.meeting_prepare(
        series_id=series.pk,
        week_start=meeting.week_start,
        today=timezone.localdate(timezone.now(), series.tz),
    )
    if request.htmx:
        meeting = get_meeting_for_view(request.user, pk)
        return render(
            request, "alignment/meeting.html#agenda", region_context(request, meeting, "agenda")
        )
    messages.success(request, "The agenda now reflects the latest product and project data.")
    return redirect(meeting)


@require_POST
def mark_entry(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    meeting = get_meeting_for_view(request.user, pk)
    entry = get_object_or_404(AgendaEntry, pk=entry_id, meeting=meeting)
    entry = services.entry_mark(
        entry_id=entry.pk, discussed=request.POST.get("discussed") == "on", by=request.user
    )
    if request.htmx:
        response = render(
            request, "alignment/meeting.html#agenda-entry", {"entry": entry, "meeting": meeting}
        )
        return trigger_client_event(response, "agendaTicked")
    return redirect(meeting)


@require_http_methods(["GET", "POST"])
def notes(request: HttpRequest, pk: int) -> HttpResponse:
    """Autosaved shared notes. A save based on an older version is refused with 409 and the
    other person's text, never dropped; the user then keeps theirs, combines both, or takes
    theirs (GET reloads the notes region)."""
    meeting = get_meeting_for_view(request.user, pk)
    if request.method == "GET":
        return render(
            request, "alignment/meeting.html#notes", region_context(request, meeting, "notes")
        )
    form = NotesForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "alignment/meeting.html#notes-meta",
            {"meeting": meeting, "notes_error": form.errors},
            status=422,
        )
    text = form.cleaned_data["text"].replace("\r\n", "\n")
    version = form.cleaned_data["version"]
    mode = form.cleaned_data["mode"] or "save"
    if mode in {"mine", "combine"}:
        current = SyncMeeting.objects.get(pk=meeting.pk)
        if mode == "combine" and current.notes.strip() and current.notes.strip() not in text:
            text = f"{current.notes.rstrip()}\n\n{text}"
        version = current.notes_version
    try:
        saved = services.notes_save(
            meeting_id=meeting.pk, expected_version=version, text=text, by=request.user
        )
    except StaleEdit as conflict:
        if request.htmx:
            context = {"meeting": meeting, "conflict": conflict}
            return render(request, "alignment/meeting.html#notes-meta", context, status=409)
        meeting = page_meeting(request, pk)
        context = meeting_context(request, meeting, conflict=conflict, my_notes=text)
        return render(request, "alignment/meeting.html", context, status=409)
    if not request.htmx:
        messages.success(request, "Notes saved.")
        return redirect(saved)
    region = "notes" if mode in {"mine", "combine"} else "notes-meta"
    # The saved row: its version and who saved it last (read on demand: this region only).
    context = {"meeting": saved, "just_saved": True}
    return render(request, f"alignment/meeting.html#{region}", context)


@require_POST
def add_action_item(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_view(request.user, pk)
    form = ActionItemForm(request.POST, people=item_owners(meeting))
    if form.is_valid():
        try:
            services.action_item_add(meeting=meeting, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field, errors)
    if not form.errors:
        if not request.htmx:
            return redirect(meeting)
        response = render(
            request, "alignment/meeting.html#actions", region_context(request, meeting, "actions")
        )
        return trigger_client_event(response, "actionItemAdded")
    if request.htmx:
        context = region_context(request, meeting, "actions", action_form=form)
        return render(request, "alignment/meeting.html#actions", context, status=422)
    context = meeting_context(request, page_meeting(request, pk), action_form=form)
    return render(request, "alignment/meeting.html", context, status=422)


@require_POST
def set_action_item_done(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    meeting = get_meeting_for_view(request.user, pk)
    item = ActionItem.objects.filter(pk=item_id, meeting__series_id=meeting.series_id).first()
    if item is None:
        raise Http404("No such action item.")
    services.action_item_set_done(
        item_id=item.pk, done=request.POST.get("done") == "on", by=request.user
    )
    if request.htmx:
        return render(
            request, "alignment/meeting.html#actions", region_context(request, meeting, "actions")
        )
    return redirect(meeting)


@require_POST
def add_decision(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_view(request.user, pk)
    form = DecisionForm(request.POST, change_requests=settleable_change_requests(meeting))
    if form.is_valid():
        try:
            services.decision_add(meeting=meeting, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field, errors)
    if not form.errors:
        if not request.htmx:
            return redirect(meeting)
        response = render(
            request,
            "alignment/meeting.html#decisions",
            region_context(request, meeting, "decisions"),
        )
        return trigger_client_event(response, "decisionRecorded")
    if request.htmx:
        context = region_context(request, meeting, "decisions", decision_form=form)
        return render(request, "alignment/meeting.html#decisions", context, status=422)
    context = meeting_context(request, page_meeting(request, pk), decision_form=form)
    return render(request, "alignment/meeting.html", context, status=422)


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
    return render(
        request,
        "alignment/series_form.html",
        {"series": series, "form": form, "conflict": conflict},
        status=status,
    )

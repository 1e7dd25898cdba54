from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from projects.models import Project
from roleplan.alignment import markup, page, services
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
    SyncMeeting,
    SyncSeries,
)
from roleplan.http import HttpRequest


@require_GET
def index(request: HttpRequest):
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
        status="active", product__isnull=False, sync_series__isnull=True
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


def mark_clashes(rows: list[dict], now) -> None:
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
def set_up_series(request: HttpRequest, slug: str):
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
def prepare_now(request: HttpRequest, series_id: int):
    """Prepare (or refresh) this week's meeting of a series and open it."""
    series = get_series_for_view(request.user, series_id)
    why_not = series.not_meeting_why
    if why_not:
        messages.error(request, f"This weekly sync does not meet ({why_not}): no meeting to open.")
        return redirect("alignment:index")
    meeting = services.meeting_prepare_current(series=series)
    return redirect(meeting)


# A form the page does not show with errors, as the template reads it: every field without a
# value or errors. Dicts: a lookup on a missing form (None) raises and catches three exceptions,
# and the template makes ~15 of them.
BLANK_ACTION_FORM = {
    name: {"value": None, "errors": None} for name in ("text", "owner", "due_date")
}
BLANK_DECISION_FORM = {name: {"value": None, "errors": None} for name in ("text", "change_request")}


def meeting_context(request: HttpRequest, meeting: SyncMeeting, **extra) -> dict:
    """What the page and its regions show. `meeting` comes from get_meeting_for_view (with its
    series, project, product, the two managers and the ids of its neighbours); the rest is read
    in one round trip of compiled queries (roleplan/alignment/page.py: read()) and the long
    lists are written by roleplan/alignment/markup.py, with the page's one CSRF token."""
    series = meeting.series
    now = timezone.now()
    today = timezone.localdate(now, series.tz)
    csrf_token = get_token(request)
    writer = markup.Writer(meeting_id=meeting.pk, csrf_token=csrf_token, today=today)
    # The forms are given when they carry errors. Blank forms are not built: the template shows
    # a missing form's fields empty and without errors, as a blank form would, and building two
    # (with the owner select's ~50 choices) cost more than the rest of the forms' part.
    action_form = extra.pop("action_form", None)
    reads = page.read(meeting, owner_choices=action_form is None)
    entries = reads.entries
    sections = [
        (section.value, section.label, [e for e in entries if e.section == section])
        for section in SECTION_ORDER
    ]
    carried, here = reads.carried, reads.action_items
    if action_form is None:
        owner_options = markup.options(reads.owner_choices, str(request.user.pk))
    else:
        owner_options = select_options(action_form, "owner")
    change_requests = reads.change_requests
    decision_form = extra.pop("decision_form", None)
    if decision_form is None:
        choices = DecisionForm.choices_for(change_requests)
        change_request_options = markup.options(choices, str(None))  # a blank form's value
    else:
        change_request_options = select_options(decision_form, "change_request")
    urls = markup.meeting_urls(
        meeting.pk,
        series.pk,
        series.project.slug,
        meeting.previous_meeting_id,
        meeting.next_meeting_id,
    )
    title_day, heading = markup.meeting_dates(
        meeting.starts_at,
        meeting.ends_at,
        series.tz,
        timezone.get_current_timezone(),
        get_language(),
    )
    return {
        "meeting": meeting,
        "series": series,
        "urls": urls,
        "project": series.project,
        "product": series.project.product,
        "product_manager": series.product_manager,
        "project_manager": series.project_manager,
        "title_day": title_day,
        "heading": heading,
        "sections_html": writer.sections(sections),
        "entry_count": len(entries),
        "discussed_count": sum(1 for e in entries if e.discussed),
        "carried": carried,
        "carried_html": writer.items(carried),
        "action_items": here,
        "action_items_html": writer.items(here),
        "decisions": reads.decisions,
        "action_form": BLANK_ACTION_FORM if action_form is None else action_form,
        "owner_options": owner_options,
        "decision_form": BLANK_DECISION_FORM if decision_form is None else decision_form,
        "change_request_options": change_request_options,
        "offers_change_requests": bool(change_requests),
        "previous_meeting": meeting.previous_meeting_id,
        "next_meeting": meeting.next_meeting_id,
        "today": today,
        "is_past": meeting.is_over(now),
        "csrf_token": csrf_token,
        # What only some responses set (the notes' conflict and errors): given, as a missing
        # variable costs the template two exceptions each time it is read.
        "theirs": None,
        "my_notes": None,
        "notes_error": None,
        "just_saved": False,
        **extra,
    }


def select_options(form, name: str) -> str:
    """The options of a form's select, the current value selected."""
    field = form.fields[name]
    return markup.options(tuple(field.choices), str(form[name].value()))  # |stringformat:'s'


MEETING_REGIONS = {"agenda", "actions", "decisions", "notes", "action-list", "decision-list"}


@require_GET
def meeting_detail(request: HttpRequest, pk: int):
    meeting = get_meeting_for_view(request.user, pk)
    context = meeting_context(request, meeting)
    template = "alignment/meeting.html"
    if request.htmx and request.htmx.target in MEETING_REGIONS:
        template = f"alignment/meeting.html#{request.htmx.target}"
    return render(request, template, context)


@require_POST
def refresh_agenda(request: HttpRequest, pk: int):
    meeting = get_meeting_for_view(request.user, pk)
    series = meeting.series
    if meeting.is_over():
        # A sync that is over keeps the agenda it was held with: the record of what was on the
        # table that week. (The button is gone; a page opened before the end can still post.)
        if request.htmx:
            return render(
                request, "alignment/meeting.html#agenda", meeting_context(request, meeting)
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
        return render(request, "alignment/meeting.html#agenda", meeting_context(request, meeting))
    messages.success(request, "The agenda now reflects the latest product and project data.")
    return redirect(meeting)


@require_POST
def mark_entry(request: HttpRequest, pk: int, entry_id: int):
    meeting = get_meeting_for_view(request.user, pk)
    entry = get_object_or_404(AgendaEntry, pk=entry_id, meeting=meeting)
    services.entry_mark(
        entry_id=entry.pk, discussed=request.POST.get("discussed") == "on", by=request.user
    )
    if request.htmx:
        # The entry as the page shows it (the partial agenda-entry).
        marked = next(e for e in page.entries(meeting.pk) if e.pk == entry.pk)
        writer = markup.Writer(
            meeting_id=meeting.pk,
            csrf_token=get_token(request),
            today=timezone.localdate(timezone.now(), meeting.series.tz),
        )
        return trigger_client_event(HttpResponse(writer.entry(marked)), "agendaTicked")
    return redirect(meeting)


def notes_context(meeting: SyncMeeting) -> dict:
    """What the notes region reads, when it is shown alone."""
    return {"meeting": meeting, "urls": {"notes": markup.url("alignment:notes", meeting.pk)}}


@require_http_methods(["GET", "POST"])
def notes(request: HttpRequest, pk: int):
    """Autosaved shared notes. A save based on an older version is refused with 409 and the
    other person's text, never dropped; the user then keeps theirs, combines both, or takes
    theirs (GET reloads the notes region)."""
    meeting = get_meeting_for_view(request.user, pk)
    if request.method == "GET":
        return render(request, "alignment/meeting.html#notes", notes_context(meeting))
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
    except services.StaleEdit as exc:
        theirs = SyncMeeting.objects.select_related("notes_updated_by").get(pk=exc.current.pk)
        context = {"meeting": meeting, "theirs": theirs}
        if request.htmx:
            return render(request, "alignment/meeting.html#notes-meta", context, status=409)
        context = meeting_context(request, meeting, theirs=theirs, my_notes=text)
        return render(request, "alignment/meeting.html", context, status=409)
    if not request.htmx:
        messages.success(request, "Notes saved.")
        return redirect(saved)
    saved = SyncMeeting.objects.select_related("notes_updated_by").get(pk=saved.pk)
    template = (
        "alignment/meeting.html#notes"
        if mode in {"mine", "combine"}
        else "alignment/meeting.html#notes-meta"
    )
    return render(request, template, {**notes_context(saved), "just_saved": True})


@require_POST
def add_action_item(request: HttpRequest, pk: int):
    meeting = get_meeting_for_view(request.user, pk)
    form = ActionItemForm(request.POST, people=page.people(meeting))
    status = 200
    if form.is_valid():
        try:
            services.action_item_add(meeting=meeting, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field, errors)
    if form.errors:
        status = 422
    elif not request.htmx:
        return redirect(meeting)
    if not request.htmx:
        return render(
            request,
            "alignment/meeting.html",
            meeting_context(request, meeting, action_form=form),
            status=status,
        )
    extra = {"action_form": form} if form.errors else {}
    response = render(
        request,
        "alignment/meeting.html#actions",
        meeting_context(request, meeting, **extra),
        status=status,
    )
    return trigger_client_event(response, "actionItemAdded") if status == 200 else response


@require_POST
def set_action_item_done(request: HttpRequest, pk: int, item_id: int):
    meeting = get_meeting_for_view(request.user, pk)
    item = ActionItem.objects.filter(pk=item_id, meeting__series_id=meeting.series_id).first()
    if item is None:
        raise Http404("No such action item.")
    services.action_item_set_done(
        item_id=item.pk, done=request.POST.get("done") == "on", by=request.user
    )
    if request.htmx:
        return render(request, "alignment/meeting.html#actions", meeting_context(request, meeting))
    return redirect(meeting)


@require_POST
def add_decision(request: HttpRequest, pk: int):
    meeting = get_meeting_for_view(request.user, pk)
    form = DecisionForm(request.POST, change_requests=page.change_requests(meeting))
    if form.is_valid():
        try:
            services.decision_add(meeting=meeting, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field, errors)
    status = 422 if form.errors else 200
    if not request.htmx:
        if status == 200:
            return redirect(meeting)
        return render(
            request,
            "alignment/meeting.html",
            meeting_context(request, meeting, decision_form=form),
            status=status,
        )
    extra = {"decision_form": form} if form.errors else {}
    response = render(
        request,
        "alignment/meeting.html#decisions",
        meeting_context(request, meeting, **extra),
        status=status,
    )
    return trigger_client_event(response, "decisionRecorded") if status == 200 else response


@require_http_methods(["GET", "POST"])
def series_edit(request: HttpRequest, series_id: int):
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
                )
            except services.StaleEdit as exc:
                conflict = exc.current
                form = SeriesForm({**request.POST.dict(), "version": conflict.version})
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

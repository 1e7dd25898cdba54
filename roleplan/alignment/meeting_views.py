"""The sync page and its regions: the agenda (grouped by product then project), topics, action
items, decisions and the shared notes.

The page is open in both managers' browsers during the meeting and its action and decision
lists poll every 10 seconds, so each region reads only what it shows: a poll of the decision
list is one query after the meeting's own. The agenda is read in one query, and its ticks
are one form for the page (each line posts itself with htmx).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from projects.models import ChangeRequest, ChangeStatus
from roleplan.alignment import agenda, reminders, services
from roleplan.alignment.access import get_meeting_for_edit, get_meeting_for_view
from roleplan.alignment.forms import ActionItemForm, DecisionForm, NotesForm, TopicForm
from roleplan.alignment.models import (
    ActionItem,
    AgendaEntry,
    Decision,
    SyncMeeting,
    Topic,
    shared_projects,
)
from roleplan.http import HttpRequest
from roleplan.versioning import StaleEdit

# What an agenda line shows, read in one query with the names of its product and project.
ENTRY_COLUMNS = (
    "id",
    "meeting_id",
    "section",
    "key",
    "title",
    "detail",
    "url",
    "tone",
    "position",
    "discussed",
    "stale",
    "product_id",
    "project_id",
    "product__asset__name",
    "product__asset__slug",
    "project__name",
    "project__slug",
    "discussed_by__username",
    "discussed_by__first_name",
    "discussed_by__last_name",
)


def common_context(meeting: SyncMeeting) -> dict:
    """What every region reads: the meeting (from get_meeting_for_view), whether it is over and
    whether the viewer may change it."""
    now = timezone.now()
    return {
        "meeting": meeting,
        "series": meeting.series,
        "is_past": meeting.is_over(now),
        "can_edit": getattr(meeting, "can_edit", False),
        "today": timezone.localdate(now, meeting.series.tz),
    }


def agenda_groups(meeting: SyncMeeting, full: bool) -> dict:
    """The agenda by product, then project, each section capped unless `full`: one query."""
    entries = list(
        AgendaEntry.objects.filter(meeting=meeting)
        .select_related("product__asset", "project", "discussed_by")
        .only(*ENTRY_COLUMNS)
        .order_by("position", "id")
    )
    groups = agenda.grouped(entries, full=full)
    shown = agenda.shown_entries(groups)
    return {
        "groups": groups,
        "entry_count": len(entries),
        "discussed_count": sum(1 for e in entries if e.discussed),
        "shown_ids": " ".join(str(e.pk) for e in shown),
        "was_ids": " ".join(str(e.pk) for e in shown if e.discussed),
        "capped": len(shown) < len(entries),
    }


def agenda_context(request: HttpRequest, meeting: SyncMeeting) -> dict:
    """The agenda, read lazily (once, when the template first asks for it)."""
    full = request.GET.get("full") == "1"
    read_once: dict = {}

    def read() -> dict:
        if not read_once:
            read_once.update(agenda_groups(meeting, full))
        return read_once

    return {
        "agenda": read,
        "full": full,
        "tick_url": reverse("alignment:mark_entry", args=[meeting.pk]),
    }


def topics_context(request: HttpRequest, meeting: SyncMeeting, topic_form=None) -> dict:
    return {
        "topics": list(Topic.objects.shown_in(meeting)),
        "topic_form": topic_form or TopicForm(),
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
    if action_form is None and getattr(meeting, "can_edit", False):
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
    """The open change requests of the pair's projects, and those a decision of this meeting
    settles."""
    series = meeting.series
    projects = shared_projects(series.product_manager_id, series.project_manager_id)
    return list(
        ChangeRequest.objects.filter(
            Q(project__in=projects, status=ChangeStatus.OPEN) | Q(sync_decisions__meeting=meeting)
        )
        .select_related("project")
        .distinct()
        .order_by("project__name", "-number")
    )


def decisions_context(
    request: HttpRequest, meeting: SyncMeeting, decision_form: DecisionForm | None = None
) -> dict:
    if decision_form is None and getattr(meeting, "can_edit", False):
        decision_form = DecisionForm(change_requests=settleable_change_requests(meeting))
    return {
        **decision_list_context(request, meeting),
        "decision_form": decision_form,
        "offers_change_requests": bool(decision_form and decision_form.change_requests),
    }


def notes_context(request: HttpRequest, meeting: SyncMeeting) -> dict:
    return {}


REGIONS = {
    "agenda": agenda_context,
    "notes": notes_context,
    "topics": topics_context,
    "actions": actions_context,
    "action-list": action_list_context,
    "decisions": decisions_context,
    "decision-list": decision_list_context,
}


def region_context(request: HttpRequest, meeting: SyncMeeting, region: str, **extra) -> dict:
    """What one region of the page shows (extra: a form with errors, the notes' conflict)."""
    forms = {k: extra.pop(k) for k in ("action_form", "decision_form", "topic_form") if k in extra}
    return {**common_context(meeting), **REGIONS[region](request, meeting, **forms), **extra}


def meeting_context(request: HttpRequest, meeting: SyncMeeting, **extra) -> dict:
    """What the whole page shows (extra: a form with errors, the notes' conflict)."""
    series = meeting.series
    context = common_context(meeting)
    context.update(agenda_context(request, meeting))
    context.update(topics_context(request, meeting, extra.pop("topic_form", None)))
    context.update(actions_context(request, meeting, extra.pop("action_form", None)))
    context.update(decisions_context(request, meeting, extra.pop("decision_form", None)))
    context.update(
        {
            "product_manager": series.product_manager,
            "project_manager": series.project_manager,
            "took_part": getattr(meeting, "viewer_took_part", False),
            # The heading reads the meeting's times in the series' own zone.
            "local_start": meeting.starts_at.astimezone(series.tz),
            "local_end": meeting.ends_at.astimezone(series.tz),
            "reminder": reminders.reminder_schedule(meeting),
        }
    )
    return {**context, **extra}


def page_meeting(request: HttpRequest, pk: int) -> SyncMeeting:
    """The meeting as the whole page reads it: with who saved the notes and its neighbours."""
    return get_meeting_for_view(request.user, pk, SyncMeeting.objects.for_page(request.user))


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


def render_agenda(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_view(request.user, pk)
    return render(
        request, "alignment/meeting.html#agenda", region_context(request, meeting, "agenda")
    )


@require_POST
def refresh_agenda(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_edit(request.user, pk)
    series = meeting.series
    if meeting.is_over():
        # A sync that is over keeps the agenda it was held with: the record of what was on the
        # table that week. (The button is gone; a page opened before the end can still post.)
        if request.htmx:
            return render_agenda(request, pk)
        messages.info(request, "This sync is over: its agenda stays as it was.")
        return redirect(meeting)
    services.meeting_prepare(
        series_id=series.pk,
        week_start=meeting.week_start,
        today=timezone.localdate(timezone.now(), series.tz),
    )
    if request.htmx:
        return render_agenda(request, pk)
    messages.success(request, "The agenda now reflects the latest product and project data.")
    return redirect(meeting)


def _ids(text: str) -> set[int]:
    return {int(part) for part in text.split() if part.isdigit()}


@require_POST
def mark_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """The agenda's one tick form. htmx posts one line (`entry`, ticked when its id is among
    `discussed`) and gets that line back; without JavaScript the whole form is saved: each line
    shown (`shown`) whose tick differs from what the page showed (`was`) changes, so a tick the
    other person made meanwhile on another line is kept."""
    meeting = get_meeting_for_edit(request.user, pk)
    discussed = _ids(" ".join(request.POST.getlist("discussed")))
    one = request.POST.get("entry", "")
    if one.isdigit():
        changes = {int(one): int(one) in discussed}
    else:
        was = _ids(request.POST.get("was", ""))
        changes = {
            pk_: pk_ in discussed
            for pk_ in _ids(request.POST.get("shown", ""))
            if (pk_ in discussed) != (pk_ in was)
        }
    entries = {e.pk: e for e in AgendaEntry.objects.filter(meeting=meeting, pk__in=list(changes))}
    if one.isdigit() and not entries:
        raise Http404("No such agenda line.")
    for entry_id, ticked in changes.items():
        if entry_id in entries:
            services.entry_mark(entry_id=entry_id, discussed=ticked, by=request.user)
    if request.htmx and one.isdigit():
        entry = AgendaEntry.objects.select_related("discussed_by").get(pk=int(one))
        context = {"entry": entry, "meeting": meeting, "can_edit": True}
        response = render(request, "alignment/meeting.html#agenda-entry", context)
        return trigger_client_event(response, "agendaTicked")
    return redirect(meeting)


@require_POST
def add_topic(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_edit(request.user, pk)
    form = TopicForm(request.POST)
    if form.is_valid():
        try:
            services.topic_add(meeting=meeting, text=form.cleaned_data["text"], by=request.user)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field, errors)
    if not form.errors:
        if not request.htmx:
            return redirect(meeting)
        return render(
            request, "alignment/meeting.html#topics", region_context(request, meeting, "topics")
        )
    if request.htmx:
        context = region_context(request, meeting, "topics", topic_form=form)
        return render(request, "alignment/meeting.html#topics", context, status=422)
    context = meeting_context(request, page_meeting(request, pk), topic_form=form)
    return render(request, "alignment/meeting.html", context, status=422)


@require_POST
def mark_topic(request: HttpRequest, pk: int) -> HttpResponse:
    """The topics' tick (`topic`, ticked when `done` is on)."""
    meeting = get_meeting_for_edit(request.user, pk)
    topic_id = request.POST.get("topic", "")
    topic = (
        Topic.objects.filter(pk=int(topic_id), meeting__series_id=meeting.series_id).first()
        if topic_id.isdigit()
        else None
    )
    if topic is None:
        raise Http404("No such topic.")
    services.topic_set_discussed(
        topic_id=topic.pk, discussed=request.POST.get("done") == "on", by=request.user
    )
    if request.htmx:
        return render(
            request, "alignment/meeting.html#topics", region_context(request, meeting, "topics")
        )
    return redirect(meeting)


@require_http_methods(["GET", "POST"])
def notes(request: HttpRequest, pk: int) -> HttpResponse:
    """Autosaved shared notes. A save based on an older version is refused with 409 and the
    other person's text, never dropped; the user then keeps theirs, combines both, or takes
    theirs (GET reloads the notes region)."""
    if request.method == "GET":
        meeting = get_meeting_for_view(request.user, pk)
        return render(
            request, "alignment/meeting.html#notes", region_context(request, meeting, "notes")
        )
    meeting = get_meeting_for_edit(request.user, pk)
    form = NotesForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "alignment/meeting.html#notes-meta",
            {"meeting": meeting, "notes_error": form.errors, "can_edit": True},
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
            context = {"meeting": meeting, "conflict": conflict, "can_edit": True}
            return render(request, "alignment/meeting.html#notes-meta", context, status=409)
        meeting = page_meeting(request, pk)
        context = meeting_context(request, meeting, conflict=conflict, my_notes=text)
        return render(request, "alignment/meeting.html", context, status=409)
    if not request.htmx:
        messages.success(request, "Notes saved.")
        return redirect(saved)
    region = "notes" if mode in {"mine", "combine"} else "notes-meta"
    # The saved row: its version and who saved it last (read on demand: this region only).
    context = {"meeting": saved, "just_saved": True, "can_edit": True}
    return render(request, f"alignment/meeting.html#{region}", context)


@require_POST
def add_action_item(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_edit(request.user, pk)
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
    meeting = get_meeting_for_edit(request.user, pk)
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
    meeting = get_meeting_for_edit(request.user, pk)
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

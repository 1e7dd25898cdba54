"""The weekly sync in the JSON API (/api/v1/, mounted by roleplan.integrations), read-only:
meetings with their topics (the agenda), action items and decisions.

A sync is private to its two people and staff (roleplan.alignment.access): anyone else gets 404,
as on the pages. Kept small, on SyncMeeting, ActionItem and Decision.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from roleplan.alignment.access import get_meeting_for_view
from roleplan.alignment.models import ActionItem, Decision, SyncMeeting, shared_projects
from roleplan.http import HttpRequest
from roleplan.rest import LIST_ERRORS, READ_ERRORS, page_of

router = Router(tags=["Weekly sync"])


class TopicOut(Schema):
    section: str
    title: str
    detail: str
    discussed: bool


class ActionItemOut(Schema):
    id: int
    text: str
    owner: int
    due_date: date | None
    done_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_owner(obj: ActionItem) -> int:
        return obj.owner_id


class SyncDecisionOut(Schema):
    id: int
    meeting: int
    text: str
    change_request: int | None
    made_by: int
    created_at: datetime

    @staticmethod
    def resolve_meeting(obj: Decision) -> int:
        return obj.meeting_id

    @staticmethod
    def resolve_change_request(obj: Decision) -> int | None:
        return obj.change_request.number if obj.change_request_id else None

    @staticmethod
    def resolve_made_by(obj: Decision) -> int:
        return obj.made_by_id


class MeetingOut(Schema):
    id: int
    product_manager: int
    project_manager: int
    projects: list[str] = Field(description="The slugs of the active projects the pair shares.")
    week_start: date
    starts_at: datetime
    prepared_at: datetime | None
    notes: str
    topics: list[TopicOut]
    action_items: list[ActionItemOut]
    decisions: list[SyncDecisionOut]

    @staticmethod
    def resolve_product_manager(obj: SyncMeeting) -> int:
        return obj.series.product_manager_id

    @staticmethod
    def resolve_project_manager(obj: SyncMeeting) -> int:
        return obj.series.project_manager_id

    @staticmethod
    def resolve_projects(obj: SyncMeeting) -> list[str]:
        series = obj.series
        return list(
            shared_projects(series.product_manager_id, series.project_manager_id)
            .order_by("name", "pk")
            .values_list("slug", flat=True)
        )

    @staticmethod
    def resolve_topics(obj: SyncMeeting) -> list:
        return list(obj.entries.order_by("position", "pk"))

    @staticmethod
    def resolve_action_items(obj: SyncMeeting) -> list:
        return list(ActionItem.objects.shown_in(obj))

    @staticmethod
    def resolve_decisions(obj: SyncMeeting) -> list:
        return list(obj.decisions.select_related("change_request").order_by("created_at", "pk"))


class MeetingFilters(Schema):
    project: str | None = Field(
        None, description="A project's slug: the syncs of the pair that shares it now."
    )
    page: int = Field(1, ge=1)
    per_page: int = Field(25, ge=1, le=100)


@router.get("/sync-meetings", response={200: list[MeetingOut], **LIST_ERRORS})
def meeting_list(request: HttpRequest, response: HttpResponse, q: Query[MeetingFilters]):
    """The syncs the caller takes part in (staff: every sync), newest first."""
    meetings = SyncMeeting.objects.with_people().order_by("-starts_at", "-pk")
    if not request.user.is_staff:
        meetings = meetings.involving(request.user)
    if q.project:
        meetings = meetings.filter(
            Exists(
                shared_projects(
                    OuterRef("series__product_manager"), OuterRef("series__project_manager")
                ).filter(slug=q.project)
            )
        )
    return page_of(request, response, meetings, page=q.page, per_page=q.per_page)


@router.get("/sync-meetings/{pk}", response={200: MeetingOut, **READ_ERRORS})
def meeting_detail(request: HttpRequest, pk: int):
    return get_meeting_for_view(request.user, pk)


@router.get("/sync-meetings/{pk}/action-items", response={200: list[ActionItemOut], **LIST_ERRORS})
def action_item_list(
    request: HttpRequest, response: HttpResponse, pk: int, q: Query[MeetingFilters]
):
    """The action items the meeting shows: raised there, and earlier ones still open."""
    meeting = get_meeting_for_view(request.user, pk)
    rows = ActionItem.objects.shown_in(meeting)
    return page_of(request, response, rows, page=q.page, per_page=q.per_page)


@router.get("/sync-meetings/{pk}/decisions", response={200: list[SyncDecisionOut], **LIST_ERRORS})
def decision_list(request: HttpRequest, response: HttpResponse, pk: int, q: Query[MeetingFilters]):
    meeting = get_meeting_for_view(request.user, pk)
    rows = meeting.decisions.select_related("change_request").order_by("created_at", "pk")
    return page_of(request, response, rows, page=q.page, per_page=q.per_page)

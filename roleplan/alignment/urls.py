from __future__ import annotations

from django.urls import path, register_converter

from roleplan.alignment import calendar_views, mail_views, meeting_views, views


class TokenConverter:
    """A secret in an address (a calendar feed's token, a signed unsubscribe link): URL-safe
    characters only, so a malformed one (a NUL byte, a slash) is a plain 404 before any view or
    database sees it."""

    regex = r"[A-Za-z0-9_\-.:]{1,200}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TokenConverter, "token")

app_name = "alignment"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", meeting_views.meeting_detail, name="meeting"),
    path("<int:pk>/refresh/", meeting_views.refresh_agenda, name="refresh"),
    path("<int:pk>/agenda/ticks/", meeting_views.mark_entry, name="mark_entry"),
    path("<int:pk>/notes/", meeting_views.notes, name="notes"),
    path("<int:pk>/topics/", meeting_views.add_topic, name="add_topic"),
    path("<int:pk>/topics/ticks/", meeting_views.mark_topic, name="topic_done"),
    path("<int:pk>/actions/", meeting_views.add_action_item, name="add_action"),
    path(
        "<int:pk>/actions/<int:item_id>/done/",
        meeting_views.set_action_item_done,
        name="action_done",
    ),
    path("<int:pk>/decisions/", meeting_views.add_decision, name="add_decision"),
    path("<int:pk>/reminder/", mail_views.reminder_preview, name="reminder_preview"),
    path("series/<int:series_id>/", views.series_edit, name="series"),
    path("setup/<slug:slug>/", views.set_up_series, name="setup"),
    path("series/<int:series_id>/prepare/", views.prepare_now, name="prepare"),
    path("profile/", calendar_views.profile, name="profile"),
    path("profile/calendar/<slug:action>/", calendar_views.calendar_change, name="calendar_change"),
    path("calendar/<token:token>.ics", calendar_views.feed, name="calendar_feed"),
    path("unsubscribe/<token:token>/", mail_views.unsubscribe, name="unsubscribe"),
    path("unsubscribe/<token:token>/on/", mail_views.resubscribe, name="resubscribe"),
]

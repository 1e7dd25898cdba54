from __future__ import annotations

from django.urls import path

from roleplan.alignment import calendar_views, views

app_name = "alignment"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.meeting_detail, name="meeting"),
    path("<int:pk>/refresh/", views.refresh_agenda, name="refresh"),
    path("<int:pk>/agenda/<int:entry_id>/", views.mark_entry, name="mark_entry"),
    path("<int:pk>/notes/", views.notes, name="notes"),
    path("<int:pk>/actions/", views.add_action_item, name="add_action"),
    path("<int:pk>/actions/<int:item_id>/done/", views.set_action_item_done, name="action_done"),
    path("<int:pk>/decisions/", views.add_decision, name="add_decision"),
    path("series/<int:series_id>/", views.series_edit, name="series"),
    path("setup/<slug:slug>/", views.set_up_series, name="setup"),
    path("series/<int:series_id>/prepare/", views.prepare_now, name="prepare"),
    path("profile/", calendar_views.profile, name="profile"),
    path("profile/calendar/<slug:action>/", calendar_views.calendar_change, name="calendar_change"),
    path("calendar/<str:token>.ics", calendar_views.feed, name="calendar_feed"),
]

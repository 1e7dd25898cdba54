from __future__ import annotations

from django.urls import path

from roleplan.activity.views import comments, history, inbox, search

app_name = "activity"

urlpatterns = [
    path("search/", search.search, name="search"),
    path("notifications/", inbox.inbox, name="inbox"),
    path("notifications/unread/", inbox.badge, name="badge"),
    path("notifications/read/", inbox.mark_all_read, name="read_all"),
    path("notifications/<int:notification_id>/read/", inbox.mark_read, name="read"),
    path("notifications/settings/", inbox.settings_page, name="settings"),
    path("comments/<slug:kind>/<int:pk>/", comments.thread, name="thread"),
    path("comments/<slug:kind>/<int:pk>/follow/", comments.follow, name="follow"),
    path("comments/<slug:kind>/<int:pk>/people/", comments.people, name="people"),
    path("comments/<int:comment_id>/edit/", comments.edit, name="edit"),
    path("comments/<int:comment_id>/delete/", comments.delete, name="delete"),
    # History (roleplan/activity/history.py): the Activity tabs and each object's history.
    path("products/<slug:slug>/activity/", history.product_activity, name="product_history"),
    path("projects/<slug:slug>/activity/", history.project_activity, name="project_history"),
    path("history/<slug:kind>/<int:pk>/", history.object_history, name="history"),
]

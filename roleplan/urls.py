from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from roleplan import health, views
from roleplan.integrations import api

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),  # GET is served by HealthCheckMiddleware
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("ownership/", include("roleplan.ownership.urls")),
    path("products/", include("products.urls")),
    path("projects/", include("projects.urls")),
    path("sync/", include("roleplan.alignment.urls")),
    path("", include("roleplan.activity.urls")),  # /search/, /notifications/, /comments/
    path("api/", api.urls()),
    path("integrations/", include("roleplan.integrations.urls")),
]

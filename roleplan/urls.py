from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from roleplan import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("ownership/", include("roleplan.ownership.urls")),
    path("products/", include("products.urls")),
    path("projects/", include("projects.urls")),
    path("sync/", include("roleplan.alignment.urls")),
]

from __future__ import annotations

from django.urls import path

from roleplan.integrations import views

app_name = "integrations"

urlpatterns = [
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/new/", views.webhook_new, name="webhook_new"),
    path("webhooks/<int:pk>/", views.subscription, name="subscription"),
    path("webhooks/<int:pk>/test/", views.subscription_test, name="subscription_test"),
    path("webhooks/<int:pk>/toggle/", views.subscription_toggle, name="subscription_toggle"),
    path("webhooks/<int:pk>/secret/", views.subscription_rotate, name="subscription_rotate"),
    path("webhooks/<int:pk>/delete/", views.subscription_delete, name="subscription_delete"),
]

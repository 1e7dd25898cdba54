from __future__ import annotations

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """API tokens, the JSON API's root, and webhooks. It sits above every app: it may import
    them all, and none imports it (pyproject.toml's import-linter contracts)."""

    name = "roleplan.integrations"
    label = "integrations"
    verbose_name = "Integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from roleplan.integrations import webhooks

        webhooks.subscribe_all()

from __future__ import annotations

from django.apps import AppConfig


class AlignmentConfig(AppConfig):
    name = "roleplan.alignment"
    label = "alignment"
    verbose_name = "Weekly alignment"

    def ready(self) -> None:
        # A project that becomes active (or starts serving a product, or changes hands) gets
        # its weekly series once the change commits; projects announce it without importing
        # alignment. The beat task's series_ensure_for_active_projects is the safety net.
        from roleplan.alignment.services import series_ensure_for_project
        from roleplan.events import Event, subscribe

        subscribe(Event.PROJECT_CHANGED, series_ensure_for_project)

from __future__ import annotations

from django.apps import AppConfig


class AlignmentConfig(AppConfig):
    name = "roleplan.alignment"
    label = "alignment"
    verbose_name = "Weekly alignment"

    def ready(self) -> None:
        # A project that becomes active (or starts serving a product, or changes hands), or a
        # product that changes owner, moves projects between pairs: the pair's series is made
        # once the change commits, and pairs that share nothing any more end. Projects and
        # ownership announce it without importing alignment; the beat task's
        # series_ensure_for_active_projects is the safety net.
        from projects.extensions import register_project_panel
        from roleplan.alignment.panels import next_sync_panel
        from roleplan.alignment.services import series_ensure_for_asset, series_ensure_for_project
        from roleplan.events import Event, subscribe

        subscribe(Event.PROJECT_CHANGED, series_ensure_for_project)
        subscribe(Event.HANDOVER_DONE, series_ensure_for_asset)
        register_project_panel(next_sync_panel)

from __future__ import annotations

from django.apps import AppConfig


class AlignmentConfig(AppConfig):
    name = "roleplan.alignment"
    label = "alignment"
    verbose_name = "Weekly alignment"

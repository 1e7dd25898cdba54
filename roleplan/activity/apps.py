from __future__ import annotations

from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "roleplan.activity"
    label = "activity"
    verbose_name = "Comments, notifications and search"

    def ready(self) -> None:
        # The lower apps announce what happened (roleplan/events.py) without importing this
        # app; the notifications are written once the announcing transaction commits.
        from roleplan.activity import reactions
        from roleplan.events import Event, subscribe

        subscribe(Event.CHANGE_REQUEST_RAISED, reactions.change_request_raised)
        subscribe(Event.CHANGE_REQUEST_DECIDED, reactions.change_request_decided)
        subscribe(Event.APPROVAL_REQUESTED, reactions.approval_requested)
        subscribe(Event.APPROVAL_RETURNED, reactions.approval_returned)
        subscribe(Event.HANDOVER_DONE, reactions.handover_done)

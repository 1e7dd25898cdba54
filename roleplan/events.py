"""The one domain-event hub: a lower app announces what happened, higher apps react.

Dependencies point one way (ownership <- products <- projects <- alignment, and the apps on top:
activity, integrations). When a lower app's service must let a higher one react (a project
becoming active, a decision recorded, a handover), it calls `announce(EVENT, **ids)`; the
higher apps `subscribe` in their AppConfig.ready(). Handlers run after the transaction that
announced commits (never for a rolled-back one), each in its own transaction, so a failing
handler neither undoes the write nor stops the others: it is logged.

Handlers take ids, not rows (the row may have changed again by then), and must be safe to run
twice (a later announcement of the same fact, a retry). Model signals are not used for domain
events: a service announces on purpose, once, with the ids that matter.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)


class Event(StrEnum):
    """Every event an app may announce, with the keyword arguments it carries."""

    HANDOVER_DONE = "ownership.handover_done"  # asset_id, handover_id
    ROADMAP_ITEM_CREATED = "products.roadmap_item_created"  # item_id
    ROADMAP_ITEM_UPDATED = "products.roadmap_item_updated"  # item_id
    ROADMAP_ITEM_MOVED = "products.roadmap_item_moved"  # item_id
    PROJECT_CHANGED = "projects.project_changed"  # project_id (status, product or manager)
    BASELINE_CREATED = "projects.baseline_created"  # project_id, baseline_id
    APPROVAL_REQUESTED = "projects.approval_requested"  # project_id, approval_id
    APPROVAL_RETURNED = "projects.approval_returned"  # project_id, approval_id
    CHANGE_REQUEST_RAISED = "projects.change_request_raised"  # change_request_id
    CHANGE_REQUEST_DECIDED = "projects.change_request_decided"  # change_request_id
    PROJECT_HEALTH_CHANGED = "projects.project_health_changed"  # project_id (services.watch)
    SYNC_PREPARED = "alignment.sync_prepared"  # meeting_id (its first agenda built)
    DECISION_RECORDED = "alignment.decision_recorded"  # decision_id (in a sync)


Handler = Callable[..., Any]
_handlers: dict[Event, list[Handler]] = defaultdict(list)


def subscribe(event: Event, handler: Handler) -> None:
    """Call `handler(**payload)` after each committed announcement of `event`. Subscribing the
    same handler twice (a second ready() in tests) keeps one."""
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def announce(event: Event, **payload: Any) -> None:
    """Let the subscribers of `event` react once the current transaction commits (at once
    outside a transaction)."""
    for handler in list(_handlers[Event(event)]):
        transaction.on_commit(lambda handler=handler: _run(event, handler, payload))


def _run(event: Event, handler: Handler, payload: dict[str, Any]) -> None:
    try:
        with transaction.atomic():
            handler(**payload)
    except Exception:
        # A reaction failing must not undo or hide the write that was announced; it is logged
        # with its event so it can be replayed (handlers are safe to run twice).
        log.exception("handler %s of %s failed for %s", handler.__qualname__, event, payload)

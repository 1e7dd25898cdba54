"""{% comments_for obj %}: where a page shows the comment thread of its object.

The tag draws a placeholder that loads the thread after the page (htmx, on load) from the
activity app's own page for it, so the host page pays no query and imports nothing of this app.
Without JavaScript the placeholder is a link to that page. An object that cannot be commented
on (a milestone, a cost line) or not saved yet draws nothing.
"""

from __future__ import annotations

from django import template

from products.models import RoadmapItem
from roleplan.activity.history import ITEM, KINDS, MEETING
from roleplan.activity.targets import COMMENTABLE, target_of
from roleplan.alignment.models import SyncMeeting

register = template.Library()


@register.inclusion_tag("activity/_comments_placeholder.html")
def comments_for(obj) -> dict:
    target = target_of(obj) if obj is not None else None
    if target is None or target.slug not in COMMENTABLE or obj.pk is None:
        return {"target": None}
    return {"target": target, "kind": target.slug, "pk": obj.pk}


@register.inclusion_tag("activity/_history_placeholder.html")
def history_for(obj) -> dict:
    """{% history_for obj %}: the object's history, loaded when it scrolls into view (htmx), a
    link without JavaScript. Draws nothing for an object that keeps no history here, nor on a
    create form, where the variable is unset (the template engine passes "")."""
    if getattr(obj, "pk", None) is None:
        return {"kind": None}
    kind = next((k.slug for k in KINDS.values() if type(obj) is k.model), None)
    if isinstance(obj, RoadmapItem):
        kind = ITEM
    if isinstance(obj, SyncMeeting):
        kind = MEETING  # its topics, action items and decisions
    return {"kind": kind, "pk": obj.pk}

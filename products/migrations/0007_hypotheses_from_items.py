"""Data: each roadmap item's HADI texts become a Hypothesis row linked to it, and the score
inputs the old forms filled in by themselves become "not given".

- An item with any of hypothesis, action, data, insight gets one hypothesis: its texts, the
  item's KPI as the measure (the data text as the metric in words), "running" when an action
  was written, else "proposed" (the insight alone does not say whether it held).
- Reach 0 and ICE 5/5/5 were the defaults of every new item, so they scored items nobody
  estimated. Unless the item's history shows the value was edited, they become NULL: no
  score until someone gives the inputs. A deliberate reach of 0 scored 0 anyway.
"""

from django.db import migrations

ICE = ("ice_impact", "ice_confidence", "ice_ease")
BATCH = 500


def edited_fields(Change, item_ids: list[int]) -> dict[int, set[str]]:
    """The fields each item's history shows as edited."""
    edited: dict[int, set[str]] = {}
    rows = Change.objects.filter(item_id__in=item_ids).values_list("item_id", "changes")
    for item_id, changes in rows.iterator():
        for row in changes or []:
            edited.setdefault(item_id, set()).add(row.get("field"))
    return edited


def forwards(apps, schema_editor):
    Item = apps.get_model("products", "RoadmapItem")
    Change = apps.get_model("products", "RoadmapItemChange")
    Hypothesis = apps.get_model("products", "Hypothesis")

    unestimated_reach = list(Item.objects.filter(reach=0).values_list("pk", flat=True))
    default_ice = list(
        Item.objects.filter(ice_impact=5, ice_confidence=5, ice_ease=5).values_list("pk", flat=True)
    )
    for start in range(0, max(len(unestimated_reach), len(default_ice)), BATCH):
        reach_ids = unestimated_reach[start : start + BATCH]
        ice_ids = default_ice[start : start + BATCH]
        edited = edited_fields(Change, reach_ids + ice_ids)
        Item.objects.filter(
            pk__in=[pk for pk in reach_ids if "reach" not in edited.get(pk, set())]
        ).update(reach=None)
        Item.objects.filter(
            pk__in=[pk for pk in ice_ids if not edited.get(pk, set()) & set(ICE)]
        ).update(ice_impact=None, ice_confidence=None, ice_ease=None)

    with_hadi = (
        Item.objects.exclude(hypothesis="", action="", data="", insight="")
        .order_by("pk")
        .values_list(
            "pk",
            "product_id",
            "title",
            "kpi_id",
            "hypothesis",
            "action",
            "data",
            "insight",
            "created_at",
            "updated_by_id",
        )
    )
    for pk, product_id, title, kpi_id, hypothesis, action, data, insight, created, by in with_hadi:
        row = Hypothesis.objects.create(
            product_id=product_id,
            hypothesis=hypothesis.strip() or f"Hypothesis of “{title}”",
            action=action,
            kpi_id=kpi_id,
            metric=data,
            insight=insight,
            status="running" if action.strip() else "proposed",
            created_at=created,
            updated_by_id=by,
        )
        row.items.add(pk)


def backwards(apps, schema_editor):
    """Each item takes the texts of the oldest hypothesis linked to it; the rows go."""
    Hypothesis = apps.get_model("products", "Hypothesis")
    Item = apps.get_model("products", "RoadmapItem")
    for hypothesis in Hypothesis.objects.order_by("-created_at", "-pk").prefetch_related("items"):
        for item in hypothesis.items.all():
            Item.objects.filter(pk=item.pk).update(
                hypothesis=hypothesis.hypothesis,
                action=hypothesis.action,
                data=hypothesis.metric,
                insight=hypothesis.insight,
            )
    Hypothesis.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0006_scoring_kpi_targets_hypotheses"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

"""The first copy of every row that existed before history was kept: each later change has a
"before" to compare with. Dated at the row's last save and credited to whoever saved it last."""

from django.db import migrations
from django.utils import timezone

MODELS = [
    ("products", "Product"),
    ("ownership", "Asset"),
    ("products", "Kpi"),
    ("products", "KpiMeasurement"),
    ("products", "Hypothesis"),
    ("products", "ProductRisk"),
    ("projects", "Project"),
    ("projects", "Deliverable"),
    ("projects", "Milestone"),
    ("projects", "CostLine"),
    ("projects", "ProjectRisk"),
    ("projects", "ChangeRequest"),
    ("projects", "ChangeOption"),
]


def start(apps, schema_editor):
    for app_label, name in MODELS:
        model = apps.get_model(app_label, name)
        history = apps.get_model("activity", f"Historical{name}")
        columns = {f.attname for f in history._meta.concrete_fields}
        fields = [f for f in model._meta.concrete_fields if f.attname in columns]
        copies = []
        for row in model._default_manager.order_by("pk").iterator(chunk_size=2000):
            when = getattr(row, "updated_at", None) or getattr(row, "created_at", None)
            by = next(
                (
                    getattr(row, name)
                    for name in ("updated_by_id", "recorded_by_id", "requested_by_id")
                    if getattr(row, name, None) is not None
                ),
                None,
            )
            copies.append(
                history(
                    **{f.attname: getattr(row, f.attname) for f in fields},
                    history_date=when or timezone.now(),
                    history_type="+",
                    history_user_id=by,
                )
            )
        history._default_manager.bulk_create(copies, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("activity", "0003_history")]

    operations = [migrations.RunPython(start, migrations.RunPython.noop)]

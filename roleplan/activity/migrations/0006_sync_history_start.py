"""The first copy of every row of the weekly sync that existed before its history was kept (as
0004_history_start for the other apps): each later change has a "before" to compare with.
Dated at the row's last save (or its creation) and credited to whoever saved or created it."""

from django.db import migrations
from django.utils import timezone

# (model, the field naming who saved or created a row)
MODELS = [
    ("SyncSeries", "updated_by_id"),
    ("Topic", "raised_by_id"),
    ("ActionItem", "created_by_id"),
    ("Decision", "made_by_id"),
]


def start(apps, schema_editor):
    for name, author in MODELS:
        model = apps.get_model("alignment", name)
        history = apps.get_model("activity", f"Historical{name}")
        columns = {f.attname for f in history._meta.concrete_fields}
        fields = [f for f in model._meta.concrete_fields if f.attname in columns]
        copies = []
        for row in model._default_manager.order_by("pk").iterator(chunk_size=2000):
            when = getattr(row, "updated_at", None) or getattr(row, "created_at", None)
            copies.append(
                history(
                    **{f.attname: getattr(row, f.attname) for f in fields},
                    history_date=when or timezone.now(),
                    history_type="+",
                    history_user_id=getattr(row, author),
                )
            )
        history._default_manager.bulk_create(copies, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("activity", "0005_sync_history")]

    operations = [migrations.RunPython(start, migrations.RunPython.noop)]

"""The GIN indexes of full-text search, on PostgreSQL only (roleplan/activity/search.py, the one
place where the two databases differ, says why and on what)."""

from django.db import migrations

from roleplan.activity import search


class Migration(migrations.Migration):
    dependencies = [
        ("activity", "0001_initial"),
        ("products", "0008_drop_item_hadi_fields"),
        ("projects", "0005_decisions_move_roadmap_approval_requests"),
        ("alignment", "0002_series_versioned"),
        ("ownership", "0004_plan_permission"),
    ]

    operations = [
        migrations.RunPython(search.create_indexes, search.drop_indexes, elidable=False),
    ]

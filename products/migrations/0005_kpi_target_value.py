# The KPI's stated target keeps its values under a new name: `target` becomes the value to
# reach, computed by the database from the stated one (0006).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0004_versioned"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="kpi", name="kpi_target_beyond_baseline"),
        migrations.RenameField(model_name="kpi", old_name="target", new_name="target_value"),
    ]

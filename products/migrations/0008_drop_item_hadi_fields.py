# The HADI texts of roadmap items now live in Hypothesis rows (0007): one place for them.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0007_hypotheses_from_items"),
    ]

    operations = [
        migrations.RemoveField(
            model_name='roadmapitem',
            name='action',
        ),
        migrations.RemoveField(
            model_name='roadmapitem',
            name='data',
        ),
        migrations.RemoveField(
            model_name='roadmapitem',
            name='hypothesis',
        ),
        migrations.RemoveField(
            model_name='roadmapitem',
            name='insight',
        ),
    ]

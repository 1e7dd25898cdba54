"""The planner permission (Asset.Meta.permissions: "ownership.plan"), and who has it from the
start: everyone who owns a product today registered it, so they keep being able to register
products. Project managers are granted it by the projects app (ownership knows no projects)."""

from django.db import migrations
from django.db.models.functions import Lower


def grant_to_product_owners(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Asset = apps.get_model("ownership", "Asset")
    User = apps.get_model("auth", "User")
    # Permissions are otherwise created after all migrations ran (post_migrate): make it now.
    content_type, _ = ContentType.objects.get_or_create(app_label="ownership", model="asset")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename="plan",
        defaults={"name": "Can create products and projects"},
    )
    owners = User.objects.filter(pk__in=Asset.objects.filter(kind="product").values("owner"))
    Through = User.user_permissions.through
    Through.objects.bulk_create(
        [
            Through(user_id=pk, permission_id=permission.pk)
            for pk in owners.values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("ownership", "0003_versioned"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="asset",
            options={
                "ordering": [Lower("name")],
                "permissions": [("plan", "Can create products and projects")],
            },
        ),
        migrations.RunPython(grant_to_product_owners, migrations.RunPython.noop),
    ]

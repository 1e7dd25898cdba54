"""The data migration that moves the roadmap items' HADI texts into Hypothesis rows and clears
the score inputs the old forms filled in by themselves (products/migrations/0007)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("products", "0006_scoring_kpi_targets_hypotheses"),
    ("ownership", "0004_plan_permission"),
]
AFTER = [("products", "0008_drop_item_hadi_fields")]


@pytest.mark.django_db(transaction=True)
def test_hadi_texts_become_hypotheses_and_default_inputs_become_not_given():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    User = old.get_model("auth", "User")
    Asset = old.get_model("ownership", "Asset")
    Product = old.get_model("products", "Product")
    Kpi = old.get_model("products", "Kpi")
    Item = old.get_model("products", "RoadmapItem")
    Change = old.get_model("products", "RoadmapItemChange")
    priya = User.objects.create(username="priya")
    asset = Asset.objects.create(kind="product", name="Email", slug="email", owner=priya)
    product = Product.objects.create(asset=asset)
    kpi = Kpi.objects.create(product=product, name="Repurchase rate", baseline=18, target_value=24)

    def item(title, rank, **fields):
        defaults = {"reach": 0, "ice_impact": 5, "ice_confidence": 5, "ice_ease": 5}
        return Item.objects.create(
            product=product, title=title, horizon="now", rank=rank, **{**defaults, **fields}
        )

    tested = item(
        "Reminders",
        0,
        kpi=kpi,
        reach=45000,
        hypothesis="We believe reminders bring carts back.",
        action="Remind half of them.",
        data="Orders within 7 days.",
        insight="One in eight came back.",
        updated_by=priya,
    )
    item("Segments", 1, hypothesis="We believe segments help.")
    plain = item("Plain", 2)
    edited = item("Edited", 3)
    Change.objects.create(
        item=edited,
        action="edited",
        version=2,
        changes=[
            {"field": "reach", "label": "Reach", "old": "10", "new": "0"},
            {"field": "ice_ease", "label": "ICE ease", "old": "4", "new": "5"},
        ],
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Hypothesis = new.get_model("products", "Hypothesis")
    Item = new.get_model("products", "RoadmapItem")
    try:
        rows = {h.hypothesis: h for h in Hypothesis.objects.all()}
        assert set(rows) == {
            "We believe reminders bring carts back.",
            "We believe segments help.",
        }
        first = rows["We believe reminders bring carts back."]
        assert (first.action, first.metric, first.insight) == (
            "Remind half of them.",
            "Orders within 7 days.",
            "One in eight came back.",
        )
        assert (first.status, first.kpi_id, first.product_id) == ("running", kpi.pk, product.pk)
        assert list(first.items.values_list("pk", flat=True)) == [tested.pk]
        assert rows["We believe segments help."].status == "proposed"
        assert not Hypothesis.objects.filter(items=plain.pk).exists()
        # Reach 0 and ICE 5/5/5 were defaults, unless the history shows someone chose them.
        values = dict(
            Item.objects.values_list("title", "reach").filter(title__in=["Plain", "Edited"])
        )
        assert values == {"Plain": None, "Edited": 0}
        assert Item.objects.get(pk=plain.pk).ice_ease is None
        assert Item.objects.get(pk=edited.pk).ice_ease == 5
        assert Item.objects.get(pk=tested.pk).reach == 45000
        assert not hasattr(Item.objects.get(pk=tested.pk), "hypothesis")
    finally:
        call_command("migrate", verbosity=0)

"""Importing a roadmap file: what each source's columns fill, matching by key on a re-import,
ranks, history and events, all or nothing, and the export read back unchanged."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from products import roadmap_csv, services
from products.models import (
    Horizon,
    ImportSource,
    RoadmapItem,
    RoadmapItemChange,
    Scoring,
    Status,
)
from products.services import ImportRefused
from products.spreadsheets import csv_lines, read_table
from roleplan.events import Event
from tests.products.factories import KpiFactory, make_item, make_product

FILES = Path(__file__).parent / "files"


def table_of(name: str):
    return read_table((FILES / name).read_bytes())


def import_table(product, table, mapping=None, *, by=None):
    source = roadmap_csv.detect(table.header)
    mapping = mapping or roadmap_csv.proposed_mapping(product, table, source)
    return services.roadmap_import(
        product=product, by=by or product.asset.owner, table=table, mapping=mapping, note="Test"
    )


def column(product, horizon: str) -> list[str]:
    return list(
        RoadmapItem.objects.filter(product=product, horizon=horizon)
        .order_by("rank")
        .values_list("title", flat=True)
    )


def ranks(product) -> dict[str, list[int]]:
    return {
        h: list(
            RoadmapItem.objects.filter(product=product, horizon=h)
            .order_by("rank")
            .values_list("rank", flat=True)
        )
        for h in Horizon.values
    }


def exported(product) -> bytes:
    header, rows = roadmap_csv.export_rows(product)
    return "".join(csv_lines(header, rows)).encode("utf-8")


@pytest.fixture
def roadmap(owner):
    return make_product(owner=owner, name="Email platform", slug="email")


def test_a_jira_product_discovery_csv_imported_twice_gives_each_item_once_in_its_column(
    roadmap,
):
    first = import_table(roadmap, table_of("jpd_ideas.csv"))
    second = import_table(roadmap, table_of("jpd_ideas.csv"))

    assert len(first["created"]) == 8
    assert second == {"created": [], "updated": [], "unchanged": 8}
    assert RoadmapItem.objects.filter(product=roadmap).count() == 8
    assert column(roadmap, "now") == [
        "Abandoned-cart journeys",
        "Segment builder",
        "Migrate legacy subscribers",
    ]
    assert column(roadmap, "next") == [
        "Black Friday send capacity",
        'Template editor, "drag and drop"',
    ]
    assert column(roadmap, "later") == [
        "Preference centre",
        "SMS fallback",
        "Send-time optimisation",
    ]


def test_the_jira_columns_fill_the_items_fields(roadmap):
    import_table(roadmap, table_of("jpd_ideas.csv"))
    cart = RoadmapItem.objects.get(product=roadmap, external_key="EMP-1")
    assert cart.title == "Abandoned-cart journeys"
    assert cart.status == Status.IN_PROGRESS  # JPD's "Delivery"
    assert cart.problem == (
        "Shoppers who leave a full cart get nothing today.\n"
        "A three-step journey brings some of them back."
    )
    assert (cart.reach, cart.impact, cart.confidence, cart.effort) == (
        12000,
        Decimal("3.00"),
        80,
        Decimal("2.00"),
    )
    statuses = dict(
        RoadmapItem.objects.filter(product=roadmap).values_list("external_key", "status")
    )
    assert statuses == {
        "EMP-1": Status.IN_PROGRESS,
        "EMP-2": Status.PLANNED,  # Ready for delivery
        "EMP-3": Status.IDEA,  # Discovery
        "EMP-4": Status.IDEA,  # Parking lot
        "EMP-5": Status.IDEA,
        "EMP-6": Status.SHIPPED,  # Done
        "EMP-7": Status.DROPPED,  # Won't do
        "EMP-8": Status.IDEA,
    }
    template = RoadmapItem.objects.get(product=roadmap, external_key="EMP-5")
    assert template.confidence == 80  # an empty cell keeps the default
    assert template.reach is None  # and empties a field that may be empty
    capacity = RoadmapItem.objects.get(product=roadmap, external_key="EMP-3")
    assert capacity.problem.startswith("Sends must")  # trimmed as the forms trim


def test_labels_have_no_place_and_the_empty_duplicate_impact_column_is_left_out(roadmap):
    table = table_of("jpd_ideas.csv")
    mapping = roadmap_csv.proposed_mapping(roadmap, table, roadmap_csv.detect(table.header))
    mapped = {table.header[i]: name for i, name in enumerate(mapping) if name}
    impacts = [i for i, header in enumerate(table.header) if header == "Custom field (Impact)"]
    assert [mapping[i] for i in impacts] == ["impact", ""]  # the one with values
    assert "Labels" not in mapped
    assert roadmap_csv.no_place("Labels") == "roadmap items have no labels"
    assert mapped["Issue key"] == "external_key"
    assert "Issue id" not in mapped


def test_a_reimport_updates_what_changed_and_its_history_names_the_import(roadmap, editor):
    import_table(roadmap, table_of("jpd_ideas.csv"))
    text = (FILES / "jpd_ideas.csv").read_text(encoding="utf-8")
    changed = text.replace("Ready for delivery", "Delivery").replace(
        "Segment builder,EMP-2", "Segment builder v2,EMP-2"
    )
    result = services.roadmap_import(
        product=roadmap,
        by=editor,
        table=read_table(changed.encode()),
        mapping=roadmap_csv.proposed_mapping(
            roadmap, read_table(changed.encode()), ImportSource.JIRA
        ),
        note="Imported from “ideas.csv” (Jira Product Discovery)",
        link="/products/email/roadmap/imports/9/",
    )
    segment = RoadmapItem.objects.get(product=roadmap, external_key="EMP-2")
    assert result["updated"] == [segment.pk]
    assert (segment.title, segment.status, segment.version) == (
        "Segment builder v2",
        Status.IN_PROGRESS,
        2,
    )
    change = segment.changes.first()
    assert change.by == editor
    assert change.note == "Imported from “ideas.csv” (Jira Product Discovery)"
    assert change.link == "/products/email/roadmap/imports/9/"
    assert {(row["label"], row["old"], row["new"]) for row in change.changes} == {
        ("Title", "Segment builder", "Segment builder v2"),
        ("Status", "Planned", "In progress"),
    }


def test_imported_items_follow_the_existing_ones_in_file_order_with_dense_ranks(roadmap):
    make_item(roadmap, title="Already now", horizon="now")
    make_item(roadmap, title="Already later", horizon="later")
    import_table(roadmap, table_of("jpd_ideas.csv"))
    assert column(roadmap, "now")[:2] == ["Already now", "Abandoned-cart journeys"]
    assert column(roadmap, "later")[0] == "Already later"
    assert ranks(roadmap) == {"now": [0, 1, 2, 3], "next": [0, 1], "later": [0, 1, 2, 3]}


def test_an_item_the_file_moves_goes_to_the_end_of_its_new_horizon_and_leaves_no_gap(roadmap):
    import_table(roadmap, table_of("jpd_ideas.csv"))
    text = (FILES / "jpd_ideas.csv").read_text(encoding="utf-8")
    # Abandoned carts (the first of Now) moves to Later.
    moved = text.replace(",0|i0001:,Now,", ",0|i0001:,Later,")
    result = import_table(roadmap, read_table(moved.encode()))
    assert len(result["updated"]) == 1
    assert column(roadmap, "now") == ["Segment builder", "Migrate legacy subscribers"]
    assert column(roadmap, "later")[-1] == "Abandoned-cart journeys"
    assert ranks(roadmap) == {"now": [0, 1], "next": [0, 1], "later": [0, 1, 2, 3]}


def test_a_bad_row_40_of_50_writes_nothing(roadmap):
    make_item(roadmap, title="Kept as it was", horizon="now", reach=10)
    lines = ["Summary,Issue key,Custom field (Roadmap),Custom field (Reach)"]
    lines += [f"Idea {n},K-{n},Next,{n * 100}" for n in range(2, 52)]
    lines[39] = "Idea 40,K-40,Soonish,4000"  # the 40th row of the spreadsheet
    with pytest.raises(ImportRefused) as refused:
        import_table(roadmap, read_table("\n".join(lines).encode()))
    assert [(p.row, p.column) for p in refused.value.plan.problems] == [
        (40, "Custom field (Roadmap)")
    ]
    assert "“Soonish” is not Now, Next or Later" in refused.value.plan.problems[0].message
    assert list(RoadmapItem.objects.filter(product=roadmap).values_list("title", flat=True)) == [
        "Kept as it was"
    ]
    assert RoadmapItemChange.objects.filter(item__product=roadmap).count() == 1  # its creation


def test_imports_announce_created_updated_and_moved_items_after_commit(
    roadmap, announced, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = import_table(roadmap, read_table(b"Summary,Issue key\nA,K-1\nB,K-2\n"))
    with django_capture_on_commit_callbacks(execute=True):
        updated = import_table(
            roadmap, read_table(b"Summary,Issue key,Custom field (Roadmap)\nA,K-1,Now\n")
        )
    a, b = created["created"]
    assert updated["updated"] == [a]
    assert announced == [
        (Event.ROADMAP_ITEM_CREATED, {"item_id": a}),
        (Event.ROADMAP_ITEM_CREATED, {"item_id": b}),
        (Event.ROADMAP_ITEM_UPDATED, {"item_id": a}),
        (Event.ROADMAP_ITEM_MOVED, {"item_id": a}),
    ]


@pytest.fixture
def full_roadmap(owner):
    """A roadmap with both scores and every value the file holds, awkward ones included."""
    product = make_product(owner=owner, name="CRM", slug="crm", scoring=Scoring.BOTH)
    kpi = KpiFactory(product=product, name="Leads converted")
    make_item(
        product,
        title='=HYPERLINK("http://evil")',
        horizon="now",
        status=Status.PLANNED,
        kpi=kpi,
        problem="Line one\nline two, with a comma; and “quotes”",
        audience="-Sales reps",
        requirements="@mention the owner",
        success_metric="'Quoted' already",
        reach=1200,
        impact=Decimal("0.25"),
        confidence=50,
        effort=Decimal("2.50"),
        ice_impact=7,
        ice_confidence=3,
        ice_ease=10,
        external_key="CRM-7",
    )
    make_item(product, title="+ Calls in the browser", horizon="now", reach=None)
    make_item(product, title="Website leads", horizon="later", status=Status.SHIPPED)
    return product


def test_the_export_read_back_changes_nothing(full_roadmap):
    table = read_table(exported(full_roadmap))
    assert roadmap_csv.detect(table.header) == ImportSource.ROLEPLAN
    result = import_table(full_roadmap, table)
    assert result == {"created": [], "updated": [], "unchanged": 3}


def test_the_export_imported_into_another_product_gives_the_same_items(full_roadmap, owner):
    copy = make_product(owner=owner, name="CRM copy", slug="crm-copy", scoring=Scoring.BOTH)
    KpiFactory(product=copy, name="Leads converted")
    table = read_table(exported(full_roadmap))
    mapping = roadmap_csv.proposed_mapping(copy, table, ImportSource.ROLEPLAN)
    mapping[table.header.index("roleplan id")] = ""  # another product's ids
    import_table(copy, table, mapping)

    fields = [
        *["title", "status", "horizon", "rank", "kpi__name", "external_key", "problem"],
        *["audience", "requirements", "success_metric", "reach", "impact", "confidence"],
        *["effort", "ice_impact", "ice_confidence", "ice_ease"],
    ]

    def items(product):
        return list(
            RoadmapItem.objects.filter(product=product).order_by("horizon", "rank").values(*fields)
        )

    assert items(copy) == items(full_roadmap)


def test_the_export_neutralises_formula_cells(full_roadmap):
    text = exported(full_roadmap).decode("utf-8-sig")
    cells = {cell for row in csv.reader(io.StringIO(text)) for cell in row}
    assert {
        '\'=HYPERLINK("http://evil")',
        "'+ Calls in the browser",
        "'-Sales reps",
        "'@mention the owner",
        "''Quoted' already",
    } <= cells


def test_a_productboard_export_fills_title_key_status_release_and_inputs(roadmap):
    result = import_table(roadmap, table_of("productboard_features.csv"))
    assert len(result["created"]) == 4
    cart = RoadmapItem.objects.get(external_key="6f1c2a9e-31b4-4c52-9d55-0f3a8e7b1c01")
    assert (cart.title, cart.status, cart.horizon, cart.reach, cart.effort) == (
        "Abandoned-cart journeys",
        Status.IN_PROGRESS,
        Horizon.NOW,
        12000,
        Decimal("2.00"),
    )
    assert column(roadmap, "next") == ["Send-time optimisation"]
    assert RoadmapItem.objects.get(title="Preference centre").status == Status.IDEA  # New idea


def test_an_ice_roadmap_reads_impact_as_ice_impact_and_offers_no_rice_inputs(owner):
    product = make_product(owner=owner, name="Calls", slug="calls", scoring=Scoring.ICE)
    table = read_table(
        b"Summary,Issue key,Custom field (Impact),Custom field (Confidence),Custom field (Ease),"
        b"Custom field (Effort)\nCalls,K-1,4.0,6,8,3\n"
    )
    mapping = roadmap_csv.proposed_mapping(product, table, ImportSource.JIRA)
    assert mapping == ["title", "external_key", "ice_impact", "ice_confidence", "ice_ease", ""]
    assert "reach" not in {t.name for t in roadmap_csv.offered(product)}
    import_table(product, table, mapping)
    item = RoadmapItem.objects.get(product=product)
    assert (item.ice_impact, item.ice_confidence, item.ice_ease, item.ice_score) == (4, 6, 8, 192)


@pytest.mark.parametrize(
    ("row", "column_name", "message"),
    [
        ("A,K-1,Someday,,,", "Custom field (Roadmap)", "“Someday” is not Now, Next or Later"),
        ("A,K-1,,Blocked,,", "Status", "“Blocked” is not a status roleplan knows"),
        ("A,K-1,,,4.0,", "Custom field (Impact)", "RICE impact 4.0 is not on its scale"),
        ("A,K-1,,,,-1", "Custom field (Reach)", "Reach cannot be negative."),
        ("A,K-1,,,,lots", "Custom field (Reach)", "“lots” is not a number."),
        ("A,K-1,,,,1.5", "Custom field (Reach)", "“1.5” is not a whole number."),
        (",K-1,,,,", "Summary", "The title is empty."),
        ("A" * 201 + ",K-1,,,,", "Summary", "at most 200"),
    ],
)
def test_a_value_the_item_cannot_hold_is_an_error_of_its_row_and_column(
    roadmap, row, column_name, message
):
    header = (
        "Summary,Issue key,Custom field (Roadmap),Status,Custom field (Impact),Custom field (Reach)"
    )
    table = read_table(f"{header}\n{row}\n".encode())
    plan = roadmap_csv.plan_import(
        roadmap, table, roadmap_csv.proposed_mapping(roadmap, table, ImportSource.JIRA)
    )
    [problem] = plan.problems
    assert (problem.row, problem.column) == (2, column_name)
    assert message in problem.message
    assert plan.counts["error"] == 1


def test_a_key_twice_in_the_file_is_an_error_of_its_second_row(roadmap):
    table = read_table(b"Summary,Issue key\nA,K-1\nB,K-2\nC,K-1\n")
    plan = roadmap_csv.plan_import(roadmap, table, ["title", "external_key"])
    assert [(p.row, p.column, p.message) for p in plan.problems] == [
        (4, "Issue key", "Key K-1 is also on row 2.")
    ]


def test_a_roleplan_id_of_no_item_here_or_of_another_keys_item_is_an_error(roadmap):
    make_item(roadmap, title="Mine", external_key="K-1")
    other = make_item(roadmap, title="Other")
    table = read_table(
        f"Key,roleplan id,Title\nK-1,{other.pk},Mine\n,999999,Ghost\n,{other.pk},Other again\n".encode()
    )
    plan = roadmap_csv.plan_import(roadmap, table, ["external_key", "roleplan_id", "title"])
    messages = [(p.row, p.message) for p in plan.problems]
    assert messages[0] == (2, f"Key K-1 is the item “Mine”, but roleplan id {other.pk} is “Other”.")
    assert messages[1][0] == 3
    assert "No item of this roadmap has the roleplan id 999999" in messages[1][1]
    assert messages[2] == (4, "This row and row 2 are the same item (“Other”).")


def test_an_item_made_by_hand_gets_its_key_from_a_roleplan_file(roadmap):
    item = make_item(roadmap, title="By hand")
    table = read_table(f"Key,roleplan id,Title\nJPD-9,{item.pk},By hand\n".encode())
    import_table(roadmap, table, ["external_key", "roleplan_id", "title"])
    item.refresh_from_db()
    assert item.external_key == "JPD-9"
    assert item.changes.first().changes == [
        {"field": "external_key", "label": "Key", "old": "—", "new": "JPD-9"}
    ]


def test_an_empty_cell_empties_an_optional_field_and_keeps_a_required_one(roadmap):
    item = make_item(
        roadmap, title="A", external_key="K-1", reach=500, status=Status.PLANNED, problem="Why"
    )
    table = read_table(b"Summary,Issue key,Status,Description,Custom field (Reach)\nA,K-1,,,\n")
    import_table(roadmap, table)
    item.refresh_from_db()
    assert (item.status, item.problem, item.reach) == (Status.PLANNED, "", None)


@pytest.mark.parametrize(
    ("mapping", "error"),
    [
        (["", "external_key"], "Choose the column that holds the items' titles."),
        (["title", "title"], "Title is chosen for “Summary” and “Issue key”: choose one column."),
        (["title", "rank"], "Column 2 (“Issue key”): no field “rank” here."),
        (["title"], "The mapping does not fit the file's columns: choose them again."),
    ],
)
def test_a_mapping_that_cannot_work_is_said_and_nothing_is_planned(roadmap, mapping, error):
    table = read_table(b"Summary,Issue key\nA,K-1\n")
    plan = roadmap_csv.plan_import(roadmap, table, mapping)
    assert error in plan.mapping_errors
    assert plan.rows == []
    assert not plan.ok


def test_a_file_without_a_key_column_warns_that_a_second_import_adds_again(roadmap):
    plan = roadmap_csv.plan_import(roadmap, read_table(b"Title\nA\n"), ["title"])
    assert plan.ok
    assert "every row adds a new item" in plan.warnings[0]


def test_numbers_are_read_as_spreadsheets_write_them(roadmap):
    table = read_table(
        "Title;Key;Reach;Effort;Confidence;Impact\n"
        "A;K-1;1,200;2,5;80 %;massive\n"
        "B;K-2;1 200;0.333;0.5;2 · high\n".encode()
    )
    import_table(
        roadmap, table, ["title", "external_key", "reach", "effort", "confidence", "impact"]
    )
    a, b = RoadmapItem.objects.filter(product=roadmap).order_by("external_key")
    assert (a.reach, a.effort, a.confidence, a.impact) == (1200, Decimal("2.50"), 80, Decimal("3"))
    assert (b.reach, b.effort, b.confidence, b.impact) == (1200, Decimal("0.33"), 50, Decimal("2"))


def test_a_kpi_is_found_by_its_name_and_an_unknown_one_is_an_error(roadmap):
    KpiFactory(product=roadmap, name="Repurchase rate")
    table = read_table(b"Title,KPI\nA,repurchase rate\nB,Open rate\n")
    plan = roadmap_csv.plan_import(roadmap, table, ["title", "kpi"])
    assert plan.rows[0].data["kpi"].name == "Repurchase rate"
    assert plan.problems[0].message == (
        "No KPI of this product is named “Open rate” (its KPIs: “Repurchase rate”)."
    )


def test_moved_and_new_items_take_their_places_in_file_order_and_ranks_stay_dense(roadmap):
    for title, horizon in [("A", "now"), ("B", "now"), ("C", "now"), ("D", "later")]:
        make_item(roadmap, title=title, horizon=horizon, external_key=f"K-{title}")
    table = read_table(
        b"Summary,Issue key,Custom field (Roadmap)\n"
        b"X,K-X,Later\nB,K-B,Later\nY,K-Y,Now\nD,K-D,Now\nA,K-A,Now\n"
    )
    result = import_table(roadmap, table)
    assert (len(result["created"]), len(result["updated"]), result["unchanged"]) == (2, 2, 1)
    assert column(roadmap, "now") == ["A", "C", "Y", "D"]
    assert column(roadmap, "later") == ["X", "B"]
    assert ranks(roadmap) == {"now": [0, 1, 2, 3], "next": [], "later": [0, 1]}


def test_many_items_given_one_status_are_each_counted_up_and_recorded(roadmap, editor):
    import_table(roadmap, table_of("jpd_ideas.csv"))
    text = (FILES / "jpd_ideas.csv").read_text(encoding="utf-8")
    for status in ("Delivery", "Ready for delivery", "Discovery", "Parking lot", "Won't do"):
        text = text.replace(f",Idea,{status},", ",Idea,Done,")
    import_table(roadmap, read_table(text.encode()), by=editor)
    items = RoadmapItem.objects.filter(product=roadmap)
    assert set(items.values_list("status", flat=True)) == {Status.SHIPPED}
    assert sorted(items.values_list("version", flat=True)) == [1] + [2] * 7  # EMP-6 was done
    assert {item.updated_by for item in items.exclude(version=1)} == {editor}
    assert RoadmapItemChange.objects.filter(item__product=roadmap, version=2).count() == 7

"""`manage.py import_roadmap`: the import page's rules from a shell."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from products.models import RoadmapImport, RoadmapItem

FILES = Path(__file__).parent / "files"
JPD = str(FILES / "jpd_ideas.csv")


def command(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_roadmap", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_dry_run_says_what_each_row_would_do_and_writes_nothing(product):
    out, _ = command(JPD, "--product", product.slug, "--dry-run")
    assert "jpd_ideas.csv: Jira Product Discovery, UTF-8, comma-separated, 8 rows." in out
    assert "  Custom field (Roadmap) → Horizon" in out
    assert "  row 2: create “Abandoned-cart journeys”" in out
    assert "Dry run: 8 created, 0 updated, 0 unchanged; nothing written." in out
    assert not RoadmapItem.objects.filter(product=product).exists()
    assert not RoadmapImport.objects.exists()


def test_importing_twice_creates_each_item_once_by_the_owner(product, owner):
    out, _ = command(JPD, "--product", product.slug)
    assert "Imported: 8 created, 0 updated, 0 unchanged." in out
    out, _ = command(JPD, "--product", product.slug)
    assert "Nothing to import: every row matches its item as it is." in out
    assert RoadmapItem.objects.filter(product=product).count() == 8
    imported = RoadmapImport.objects.get()
    assert imported.updated_by == owner
    cart = RoadmapItem.objects.get(external_key="EMP-1")
    assert cart.changes.get().note == "Imported from “jpd_ideas.csv” (Jira Product Discovery)"


def test_a_mapping_option_changes_a_column_and_by_names_who_imports(product, editor):
    command(
        JPD,
        "--product",
        product.slug,
        "--mapping",
        "Custom field (Roadmap)=",
        "--mapping",
        "Custom field (Goals)=kpi",
        "--mapping",
        "Custom field (Goals)=ignore",
        "--by",
        editor.username,
    )
    assert set(RoadmapItem.objects.values_list("horizon", flat=True)) == {"later"}
    assert RoadmapItem.objects.first().updated_by == editor


def test_a_file_with_a_row_error_imports_nothing_and_lists_the_error(product, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes((FILES / "jpd_ideas.csv").read_bytes().replace(b",Now,", b",Soon,", 1))
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_roadmap", str(bad), "--product", product.slug, stdout=out, stderr=err)
    assert "Row 2, Custom field (Roadmap): “Soon” is not Now, Next or Later." in err.getvalue()
    assert not RoadmapItem.objects.exists()
    assert not RoadmapImport.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--product", "nope"], "No product has the slug “nope”."),
        (["--product", "email", "--by", "nobody"], "No active user is named “nobody”."),
        (["--product", "email", "--mapping", "Summary"], "write COLUMN=FIELD"),
        (["--product", "email", "--mapping", "Nope=title"], "the file has no column “Nope”"),
        (["--product", "email", "--mapping", "Summary=rank"], "no field “rank”"),
        (["--product", "email", "--mapping", "Labels=problem"], "2 columns are named “Labels”"),
    ],
)
def test_wrong_arguments_are_said_plainly(product, args, message):
    with pytest.raises(CommandError, match=message):
        command(JPD, *args)


def test_an_unreadable_file_is_refused_with_its_reason(product, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="empty.csv: The file is empty. Nothing was imported."):
        command(str(empty), "--product", product.slug)
    with pytest.raises(CommandError, match="No such file"):
        command(str(tmp_path / "missing.csv"), "--product", product.slug)

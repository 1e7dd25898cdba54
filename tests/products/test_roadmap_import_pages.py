"""The import's pages through the test client: upload, mapping and preview, import, summary;
who may use them; files refused with a reason; the preview's queries; the export."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from products import spreadsheets
from products.models import RoadmapImport, RoadmapItem, RoadmapItemChange
from tests.products.factories import make_item, make_product

FILES = Path(__file__).parent / "files"
HX = {"HX-Request": "true"}


def jpd() -> bytes:
    return (FILES / "jpd_ideas.csv").read_bytes()


def start_url(product) -> str:
    return reverse("products:roadmap_import", args=[product.slug])


def upload(client, product, data: bytes, name: str = "ideas.csv"):
    return client.post(start_url(product), {"file": SimpleUploadedFile(name, data, "text/csv")})


def uploaded(client, product, data: bytes, name: str = "ideas.csv") -> RoadmapImport:
    response = upload(client, product, data, name)
    assert response.status_code == 302, response.content.decode()[:2000]
    imported = RoadmapImport.objects.latest("pk")
    assert response["Location"] == imported.get_absolute_url()
    return imported


def run(client, imported: RoadmapImport, version: int | None = None):
    return client.post(
        imported.get_absolute_url() + "run/",
        {"version": imported.version if version is None else version},
    )


def titles(product, horizon: str) -> list[str]:
    return list(
        RoadmapItem.objects.filter(product=product, horizon=horizon)
        .order_by("rank")
        .values_list("title", flat=True)
    )


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def test_the_roadmap_offers_import_to_its_editors_and_the_export_to_everyone(
    client, product, editor, viewer
):
    client.force_login(editor)
    page = client.get(reverse("products:roadmap", args=[product.slug])).content.decode()
    assert f'href="{start_url(product)}">Import…</a>' in page
    assert reverse("products:roadmap_export", args=[product.slug]) in page
    client.force_login(viewer)
    page = client.get(reverse("products:roadmap", args=[product.slug])).content.decode()
    assert "Import…" not in page
    assert "Export CSV" in page


def test_a_jpd_file_imported_twice_through_the_pages_gives_each_item_once_in_its_column(
    signed_in, product
):
    first = uploaded(signed_in, product, jpd())
    review = signed_in.get(first.get_absolute_url()).content.decode()
    assert "Read as Jira Product Discovery's export (UTF-8, comma-separated): 8 rows" in review
    assert "Import: 8 new, 0 changed" in review
    response = run(signed_in, first)
    assert response.status_code == 302
    summary = signed_in.get(response["Location"]).content.decode()
    assert "Imported “ideas.csv”: 8 created, 0 updated, 0 unchanged." in summary

    second = uploaded(signed_in, product, jpd())
    review = signed_in.get(second.get_absolute_url()).content.decode()
    assert "Nothing to import: every row matches its item as it is." in review
    assert RoadmapItem.objects.filter(product=product).count() == 8
    assert titles(product, "now") == [
        "Abandoned-cart journeys",
        "Segment builder",
        "Migrate legacy subscribers",
    ]
    assert titles(product, "later") == [
        "Preference centre",
        "SMS fallback",
        "Send-time optimisation",
    ]


def test_the_summary_names_what_was_created_and_the_items_history_names_the_file(
    signed_in, product
):
    imported = uploaded(signed_in, product, jpd(), name="march.csv")
    run(signed_in, imported)
    summary = signed_in.get(imported.get_absolute_url()).content.decode()
    assert "Imported “march.csv”" in summary
    assert "Abandoned-cart journeys" in summary
    cart = RoadmapItem.objects.get(product=product, external_key="EMP-1")
    page = signed_in.get(cart.get_absolute_url()).content.decode()
    assert (
        f'<a href="{imported.get_absolute_url()}">Imported from “march.csv” '
        "(Jira Product Discovery)</a>" in page
    )
    imported.refresh_from_db()
    assert imported.content == ""  # the file's text is not kept once imported


def test_an_import_changing_items_says_what_changes_before_and_does_it(signed_in, product):
    run(signed_in, uploaded(signed_in, product, jpd()))
    changed = jpd().replace(b"Ready for delivery", b"Done")
    imported = uploaded(signed_in, product, changed)
    review = signed_in.get(imported.get_absolute_url() + "?show=update").content.decode()
    assert "<strong>Status</strong>: Planned → Shipped" in review
    assert "Import: 0 new, 1 changed" in review
    run(signed_in, imported)
    assert RoadmapItem.objects.get(external_key="EMP-2").status == "shipped"


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + jpd(),
        jpd().decode().replace(",", ";").encode("utf-8"),
    ],
    ids=["utf8-bom", "semicolon"],
)
def test_other_encodings_and_separators_preview_the_same_rows(signed_in, product, data):
    imported = uploaded(signed_in, product, data)
    review = signed_in.get(imported.get_absolute_url()).content.decode()
    assert "Import: 8 new, 0 changed" in review


def test_excels_utf16_tab_separated_text_imports(signed_in, product):
    rows = list(csv.reader(io.StringIO(jpd().decode("utf-8"))))
    out = io.StringIO()
    csv.writer(out, delimiter="\t").writerows(rows)
    imported = uploaded(signed_in, product, out.getvalue().encode("utf-16"), name="ideas.txt")
    assert (imported.encoding, imported.delimiter) == ("utf-16", "\t")
    run(signed_in, imported)
    cart = RoadmapItem.objects.get(product=product, external_key="EMP-1")
    assert cart.problem.splitlines()[1] == "A three-step journey brings some of them back."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04" + b"\x00" * 100, "This is an Excel workbook"),
        (b"\x00\x01\x02binary\x00", "This file is not text"),
        (b"Abandoned carts,now,3\nSegments,next,2\n", "The first row names no roadmap field"),
        (b"Summary,Issue key\n", "The file has a header but no rows to import."),
        (b'Summary,Issue key\n"Never closed,K-1\n', "Row 2 cannot be read as CSV"),
    ],
    ids=["empty", "xlsx", "binary", "no-header", "header-only", "open-quote"],
)
def test_a_file_that_cannot_be_imported_is_refused_with_its_reason_and_nothing_is_kept(
    signed_in, product, data, message
):
    response = upload(signed_in, product, data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not RoadmapImport.objects.exists()


def test_a_file_over_the_size_cap_is_refused_saying_the_cap(signed_in, product, monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_BYTES", 1024 * 1024)
    response = upload(signed_in, product, b"Summary\n" + b"x" * (1024 * 1024 + 10))
    assert response.status_code == 422
    assert "The file is 1.0 MB; at most 1 MB can be imported at once" in response.content.decode()


def test_a_file_over_the_row_cap_is_refused_saying_the_cap(signed_in, product):
    rows = "".join(f"Idea {n},K-{n}\n" for n in range(spreadsheets.MAX_ROWS + 1))
    response = upload(signed_in, product, f"Summary,Issue key\n{rows}".encode())
    assert response.status_code == 422
    assert "The file has more than 5,000 rows: split it and import each part." in (
        response.content.decode()
    )


def test_a_row_error_blocks_the_import_and_nothing_is_written(signed_in, product):
    bad = jpd().replace(b",0|i0005:,Next,", b",0|i0005:,Someday,")
    imported = uploaded(signed_in, product, bad)
    review = signed_in.get(imported.get_absolute_url()).content.decode()
    assert "1 error: nothing is imported until it is fixed" in review
    assert "“Someday” is not Now, Next or Later." in review
    assert "Import:" not in review
    response = run(signed_in, imported)  # posted anyway
    assert response.status_code == 422
    assert "Nothing was imported: the rows below have errors." in response.content.decode()
    assert not RoadmapItem.objects.filter(product=product).exists()
    assert not RoadmapItemChange.objects.exists()


def test_changing_the_mapping_saves_it_and_the_preview_follows(signed_in, product):
    imported = uploaded(signed_in, product, jpd())
    header = next(csv.reader(io.StringIO(jpd().decode())))
    data = {f"column-{i}": name for i, name in enumerate(imported.mapping)}
    data[f"column-{header.index('Custom field (Roadmap)')}"] = ""  # horizons left out
    data["version"] = imported.version
    response = signed_in.post(imported.get_absolute_url() + "mapping/", data, headers=HX)
    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith('<div id="import-review"')
    assert "Mapping saved." in html
    imported.refresh_from_db()
    assert imported.version == 2
    run(signed_in, imported)
    assert titles(product, "now") == []  # every new item went to Later
    assert len(titles(product, "later")) == 8


def test_a_mapping_naming_a_field_twice_or_no_title_is_said_and_blocks_the_import(
    signed_in, product
):
    imported = uploaded(signed_in, product, b"Summary,Issue key\nA,K-1\n")
    data = {"column-0": "title", "column-1": "title", "version": imported.version}
    response = signed_in.post(imported.get_absolute_url() + "mapping/", data)
    assert response.status_code == 302
    review = signed_in.get(imported.get_absolute_url()).content.decode()
    assert "Title is chosen for “Summary” and “Issue key”: choose one column." in review
    assert "Nothing is imported while the mapping has errors." in review


def test_an_import_based_on_an_older_mapping_is_refused_and_writes_nothing(signed_in, product):
    imported = uploaded(signed_in, product, jpd())
    data = {f"column-{i}": name for i, name in enumerate(imported.mapping)}
    signed_in.post(imported.get_absolute_url() + "mapping/", {**data, "version": 1})
    response = run(signed_in, imported, version=1)  # the tab still showing version 1
    assert response.status_code == 409
    assert "The mapping changed after this preview was shown" in response.content.decode()
    assert not RoadmapItem.objects.filter(product=product).exists()


def test_importing_twice_by_a_second_click_imports_once(signed_in, product):
    imported = uploaded(signed_in, product, jpd())
    run(signed_in, imported)
    response = run(signed_in, imported)
    assert response.status_code == 302
    assert RoadmapItem.objects.filter(product=product).count() == 8


def test_the_preview_pages_through_the_rows_and_filters_them(signed_in, product):
    rows = "".join(f"Idea {n},K-{n},{'Soon' if n == 70 else 'Now'}\n" for n in range(120))
    imported = uploaded(
        signed_in, product, f"Summary,Issue key,Custom field (Roadmap)\n{rows}".encode()
    )
    page = signed_in.get(imported.get_absolute_url() + "?page=3").content.decode()
    assert "Rows 101–120 of 120" in page
    only = (
        signed_in.get(
            imported.get_absolute_url() + "?show=error",
            headers={**HX, "HX-Target": "import-preview"},
        )
        .content.decode()
        .strip()
    )
    assert only.startswith('<section id="import-preview"')
    assert "Idea 70" in only
    assert "Idea 71" not in only


@pytest.mark.parametrize("rows", [20, 400])
def test_the_preview_reads_in_a_fixed_number_of_queries(client, owner, rows):
    product = make_product(owner=owner, name=f"Big {rows}", slug=f"big-{rows}")
    for n in range(rows // 2):
        make_item(product, title=f"Idea {n}", external_key=f"K-{n}", horizon="now")
    lines = "".join(f"Idea {n} again,K-{n},Next,{n}\n" for n in range(rows))
    imported = RoadmapImport.objects.create(
        product=product,
        file_name="big.csv",
        source="jira",
        encoding="utf-8",
        delimiter=",",
        content=f"Summary,Issue key,Custom field (Roadmap),Custom field (Reach)\n{lines}",
        mapping=["title", "external_key", "horizon", "reach"],
    )
    client.force_login(owner)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(imported.get_absolute_url())
    assert response.status_code == 200
    assert f"Import: {rows - rows // 2} new, {rows // 2} changed" in response.content.decode()
    # Session and user, the product and the upload, then the product's KPIs and items.
    assert len(captured) == 6, [q["sql"][:80] for q in captured]


def test_viewers_may_not_upload_see_map_or_run_an_import(client, product, owner, viewer):
    client.force_login(owner)
    imported = uploaded(client, product, jpd())
    client.force_login(viewer)
    assert client.get(start_url(product)).status_code == 403
    assert upload(client, product, jpd()).status_code == 403
    assert client.get(imported.get_absolute_url()).status_code == 403
    assert client.post(imported.get_absolute_url() + "mapping/", {"version": 1}).status_code == 403
    assert run(client, imported).status_code == 403
    assert not RoadmapItem.objects.filter(product=product).exists()


def test_an_import_is_not_found_under_another_product(client, product, owner, outsider):
    client.force_login(owner)
    imported = uploaded(client, product, jpd())
    other = make_product(owner=owner, name="Other", slug="other")
    url = reverse("products:roadmap_import_review", args=[other.slug, imported.pk])
    assert client.get(url).status_code == 404
    client.force_login(outsider)  # signed in, but editing nothing here
    assert client.get(imported.get_absolute_url()).status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client, product):
    response = client.get(start_url(product))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_export_is_a_csv_every_signed_in_person_may_download(client, product, viewer):
    make_item(product, title="=cmd|' /C calc'!A0", horizon="now", reach=100)
    client.force_login(viewer)
    response = client.get(reverse("products:roadmap_export", args=[product.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == 'attachment; filename="email-roadmap.csv"'
    text = response.content.decode("utf-8")
    header, row = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert header[:5] == ["Key", "roleplan id", "Title", "Status", "Horizon"]
    assert row[2] == "'=cmd|' /C calc'!A0"
    assert row[4] == "Now"

"""Reading CSV files as people's tools write them, and writing cells no spreadsheet runs."""

from __future__ import annotations

import codecs
import csv
import io

import pytest

from products import spreadsheets
from products.spreadsheets import UnreadableFile, neutralise, read_table, restore

HEADER = ["Summary", "Issue key", "Description"]
ROWS = [
    ["Abandoned carts", "EMP-1", "Two lines:\nfirst; second, third"],
    ["Préférences, “quotes” and émojis 📬", "EMP-2", ""],
]


def written(delimiter: str = ",", rows: list[list[str]] = ROWS) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "encoding", "delimiter"),
    [
        (written().encode("utf-8"), "utf-8", ","),
        (codecs.BOM_UTF8 + written().encode("utf-8"), "utf-8-sig", ","),
        (written(";").encode("utf-8"), "utf-8", ";"),
        # Excel's "Unicode text": UTF-16 with its byte-order mark, tab-separated.
        (written("\t").encode("utf-16"), "utf-16", "\t"),
        (codecs.BOM_UTF16_BE + written("\t").encode("utf-16-be"), "utf-16", "\t"),
    ],
    ids=["utf8", "utf8-bom", "semicolon", "utf16-tab", "utf16-be-tab"],
)
def test_each_encoding_and_separator_reads_the_same_cells(data, encoding, delimiter):
    table = read_table(data)
    assert table.header == HEADER
    assert [cells for _, cells in table.rows] == ROWS
    assert (table.encoding, table.delimiter) == (encoding, delimiter)


def test_rows_are_numbered_as_a_spreadsheet_shows_them_with_empty_rows_left_out():
    text = "Summary,Issue key\nA,K-1\n,\n\nB,K-2\n"
    table = read_table(text.encode())
    assert [(number, cells) for number, cells in table.rows] == [
        (2, ["A", "K-1"]),
        (5, ["B", "K-2"]),
    ]


def test_a_short_row_is_padded_and_a_trailing_separator_is_ignored():
    table = read_table(b"Summary,Issue key,Status\nA,K-1\nB,K-2,Done,\n")
    assert [cells for _, cells in table.rows] == [["A", "K-1", ""], ["B", "K-2", "Done"]]


def test_a_row_with_more_cells_than_the_header_is_refused_with_its_number():
    with pytest.raises(UnreadableFile, match="Row 3 has 4 cells but the header names 2"):
        read_table(b"Summary,Issue key\nA,K-1\nB,K-2,extra,cells\n")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"  \r\n\n", "The file is empty."),
        (codecs.BOM_UTF8, "The file is empty."),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, "Excel workbook"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40, "not text"),
        ("Summary\nCafé".encode("latin-1"), "not UTF-8 text"),
        (b'Summary,Issue key\n"A never closed quote,K-1\n', "cannot be read as CSV"),
        (b",,\nA,B,C\n", "The first row is empty"),
    ],
    ids=["empty", "blank", "bom-only", "xlsx", "png", "latin-1", "open-quote", "no-header"],
)
def test_a_file_that_is_not_a_readable_table_is_refused_with_a_reason(data, message):
    with pytest.raises(UnreadableFile, match=message):
        read_table(data)


def test_a_file_over_the_size_cap_is_refused_before_it_is_decoded(monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_BYTES", 1024 * 1024)
    with pytest.raises(UnreadableFile, match="The file is 1.5 MB; at most 1 MB can be imported"):
        read_table(b"Summary\n" + b"\xff" * (1024 * 1536))  # not even valid UTF-8


def test_a_file_over_the_row_cap_is_refused_saying_the_cap():
    rows = "".join(f"Item {n}\n" for n in range(spreadsheets.MAX_ROWS + 1))
    with pytest.raises(UnreadableFile, match="more than 5,000 rows"):
        read_table(f"Summary\n{rows}".encode())


def test_a_file_at_the_row_cap_is_read_whole():
    rows = "".join(f"Item {n}\n" for n in range(spreadsheets.MAX_ROWS))
    assert len(read_table(f"Summary\n{rows}".encode()).rows) == spreadsheets.MAX_ROWS


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+33 6 12", "-5% churn", "@SUM(A1)", "\tindented", "\rreturn", "'quoted", "''=x"],
)
def test_formula_looking_cells_are_written_as_text_and_read_back_as_they_were(value):
    cell = neutralise(value)
    assert cell.startswith("'")
    assert restore(cell) == value


@pytest.mark.parametrize("value", ["Abandoned carts", "", "1,200", "it's fine", "a=b"])
def test_plain_cells_are_written_as_they_are(value):
    assert neutralise(value) == value
    assert restore(value) == value


def test_the_csv_lines_start_with_a_bom_and_neutralise_every_cell():
    lines = list(spreadsheets.csv_lines(["Title", "Reach"], [["=HYPERLINK(x)", 12]]))
    assert lines[0] == "\ufeffTitle,Reach\r\n"
    assert lines[1] == "'=HYPERLINK(x),12\r\n"

"""Spreadsheet files in and out: reading a CSV as people's tools write it, and writing cells a
spreadsheet will not run.

Reading (`read_table`): UTF-8 with or without a byte-order mark, UTF-16 with its mark (what
Excel's "Unicode text" writes: tab-separated), separated by commas, semicolons (Excel in
locales whose decimal separator is a comma) or tabs, found from the header row; quoted cells
may hold separators and line breaks. A file over MAX_BYTES (5 MB) or with more than MAX_ROWS (5,000) rows, an
empty file, a binary one (a workbook saved as .xlsx, an image) or a broken one is refused
with a sentence saying what is wrong (UnreadableFile), never half read.

Writing (`neutralise`): a cell starting with = + - @ or a tab or carriage return is a formula
to Excel, LibreOffice and Google Sheets, which run it on opening ("CSV injection"), so such a
cell is written with a leading apostrophe, which makes it text. A cell that already starts with
an apostrophe gets one more, so `restore` gives every cell back exactly as it was: a file this
module wrote reads back the same.

Products' CSV files use this module; projects and the ownership registry still have their own
`cell()`/`csv_cell()` (formula prefixes without the apostrophe rule): they can switch to this
one (projects may import products; the ownership registry may not, and would need a core copy).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

# 5 MiB: 5,000 ideas exported from Jira Product Discovery with 47 columns take 2.6 MB; a site's
# export carries more columns (every custom field), and "current fields" fewer.
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000  # rows under the header
MAX_CELL = 100_000  # characters in one cell (csv's own limit is 131,072)

# What a spreadsheet reads as the start of a formula, and the apostrophe that escapes it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16"}


class UnreadableFile(ValueError):
    """The file cannot be read as a table; the message says why, for the person who sent it."""


@dataclass
class Table:
    """A CSV file read: its header, and its rows (each as long as the header) with the number a
    spreadsheet shows them at (the header is row 1; empty rows are left out but counted)."""

    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","
    text: str = ""  # the file's text, as decoded

    @property
    def described(self) -> str:
        """ "UTF-8 with BOM, semicolon-separated"."""
        encoding = ENCODING_NAMES.get(self.encoding, self.encoding)
        return f"{encoding}, {SEPARATORS.get(self.delimiter, repr(self.delimiter))}-separated"


def neutralise(value: object) -> str:
    """The cell as text a spreadsheet shows and never runs (see the module docstring)."""
    text = "" if value is None else str(value)
    if text.startswith((*FORMULA_STARTS, ESCAPE)):
        return ESCAPE + text
    return text


def restore(text: str) -> str:
    """A cell as it was before `neutralise`: one escaping apostrophe dropped."""
    if text.startswith(ESCAPE) and text[1:2] and text[1:2] in (*FORMULA_STARTS, ESCAPE):
        return text[1:]
    return text


def csv_lines(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """A CSV file as lines to stream: a UTF-8 byte-order mark first (so Excel reads it as
    UTF-8), then the header and each row, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Iterable[object]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise(cell) for cell in cells])
        return buffer.getvalue()

    yield "\ufeff" + line(header)
    for row in rows:
        yield line(row)


# Reading ----------------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read with (see the module docstring)."""
    if not data.strip():
        raise UnreadableFile("The file is empty.")
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        if data.startswith(b"PK\x03\x04"):
            raise UnreadableFile(
                "This is an Excel workbook (or another zip file), not a CSV file: open it and "
                "save it as “CSV UTF-8 (comma delimited)”."
            )
        if b"\x00" in data[:4096]:
            raise UnreadableFile(
                "This file is not text: it holds binary data. Export a CSV file from the tool "
                "and upload that."
            )
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            f"The file is not {ENCODING_NAMES[encoding]} text (byte {error.start + 1:,} cannot "
            "be read). Save it as “CSV UTF-8” and upload it again."
        ) from None
    if "\x00" in text:
        raise UnreadableFile("This file is not text: it holds binary data.")
    if not text.strip():
        raise UnreadableFile("The file is empty.")
    return text, encoding


def sniff(text: str) -> str:
    """The separator that splits the header row into the most cells (a comma when none
    splits it: a file of one column)."""
    best, cells = ",", 1
    for separator in SEPARATORS:
        try:
            header = next(csv.reader(io.StringIO(text), delimiter=separator))
        except (csv.Error, StopIteration):
            continue
        if len(header) > cells:
            best, cells = separator, len(header)
    return best


def parse(text: str, delimiter: str) -> Table:
    """The table in `text`, separated by `delimiter` (already checked by `read_table`, or
    stored after it was)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    table = Table(header=[], delimiter=delimiter, text=text)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):  # noqa: B007 -- read after the loop
            if number == 1:
                table.header = [cell.strip() for cell in cells]
                continue
            if not any(cell.strip() for cell in cells):
                continue
            if len(table.rows) == MAX_ROWS:
                raise UnreadableFile(
                    f"The file has more than {MAX_ROWS:,} rows: split it and import each part."
                )
            table.rows.append((number, fit(cells, table.header, number)))
    except csv.Error as error:
        raise UnreadableFile(
            f"Row {number + 1:,} cannot be read as CSV ({error}): a quoted cell may not be closed."
        ) from None
    if not any(table.header):
        raise UnreadableFile("The first row is empty: it should name the columns.")
    return table


def fit(cells: list[str], header: list[str], number: int) -> list[str]:
    """The row as long as the header: missing cells at its end are empty; extra cells are an
    error unless they are empty (some tools end rows with a separator)."""
    if len(cells) > len(header):
        if any(cell.strip() for cell in cells[len(header) :]):
            raise UnreadableFile(
                f"Row {number:,} has {len(cells):,} cells but the header names {len(header):,} "
                "columns: a cell may hold a separator without quotes."
            )
        cells = cells[: len(header)]
    for cell in cells:
        if len(cell) > MAX_CELL:
            raise UnreadableFile(
                f"Row {number:,} has a cell of {len(cell):,} characters (at most {MAX_CELL:,})."
            )
    return cells + [""] * (len(header) - len(cells))


def too_big(size: int) -> str:
    """Why a file of `size` bytes is refused."""
    return (
        f"The file is {size / 1024 / 1024:.1f} MB; at most {MAX_BYTES / 1024 / 1024:g} MB can "
        "be imported at once: split it and import each part."
    )


def read_table(data: bytes) -> Table:
    """The table of a CSV file's bytes (see the module docstring); UnreadableFile if it is not
    one, too big or too long."""
    if len(data) > MAX_BYTES:
        raise UnreadableFile(too_big(len(data)))
    text, encoding = decode(data)
    table = parse(text, sniff(text))
    table.encoding = encoding
    return table

"""The cards of the roadmap board, written in Python for speed.

A card shows seven in-place fields and up to four move buttons. Through the template engine a
board of 200 items is ~45,000 template nodes and ~4,500 reverse() calls: most of a second per
page, and the in-place edit answers with the whole board (tests/benchmarks/RESULTS.md). Here the
same markup is built with string formatting: the URLs from one reverse() per kind of URL, each
value escaped once. Cards are memoised on everything they show (Face): an unchanged item's card
is not written again, a changed one has another key, so no card can be stale. The CSRF token is
put in per page, never kept.

templates/products/_card.html is the readable definition of the card and stays the reference:
tests/products/test_board_cards.py renders it through the template engine next to
`card_html` for items in every state (editor or viewer, first, middle and last in a column,
filtered, with markup in their titles) and asserts the same bytes. Change both together.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from html import escape
from typing import NamedTuple

from django.utils.safestring import SafeString
from django.utils.text import slugify

from products.models import Horizon, RoadmapItem, Status
from products.templatetags.products_tags import SHORT
from roleplan.markup import ROW_ID, csrf_input, url_pattern

CARD_FIELDS = ["title", "status", "kpi", "reach", "impact", "confidence", "effort"]
LABELS = {name: str(RoadmapItem._meta.get_field(name).verbose_name) for name in CARD_FIELDS}
STATUS_LABELS = dict(Status.choices)
ONE = Decimal(1)


def whole(value: float) -> str:
    """`value|floatformat:0` for the scores, which are never negative: half rounds up."""
    return f"{Decimal(repr(value)).quantize(ONE, rounding=ROUND_HALF_UP):f}"


@cache
def slug_of(label: str) -> str:
    return slugify(label)


# The columns a card needs, in the order Face.columns reads them.
ROW_FIELDS = [
    "pk",
    "title",
    "status",
    "kpi_id",
    "reach",
    "impact",
    "confidence",
    "effort",
    "rice_score",
    "ice_score",
    "horizon",
    "rank",
]


def sides(horizon: str) -> tuple[Horizon | None, Horizon | None]:
    """The horizons left and right of a column, where its cards' side buttons move them."""
    order = list(Horizon)
    index = order.index(Horizon(horizon))
    return (
        order[index - 1] if index else None,
        order[index + 1] if index + 1 < len(order) else None,
    )


class Face(NamedTuple):
    """Everything a card shows of its item: the card is a function of this alone."""

    pk: int
    title: str
    status: str
    kpi_name: str | None
    reach: int
    impact: Decimal
    confidence: int
    effort: Decimal
    rice_score: float
    ice_score: int
    horizon: str
    rank: int
    before_id: int | None
    after_id: int | None
    left: Horizon | None
    right: Horizon | None

    @classmethod
    def columns(cls, rows: list[tuple], kpi_names: dict[int, str]) -> dict[str, list[Face]]:
        """The faces of each horizon's cards from ROW_FIELDS rows in board order (horizon,
        rank, id), with their neighbours: no model instance per item."""
        order = list(Horizon)
        by_horizon: dict[str, list[tuple]] = {h.value: [] for h in order}
        for row in rows:
            by_horizon[row[10]].append(row)
        columns = {}
        for index, horizon in enumerate(order):
            left = order[index - 1] if index else None
            right = order[index + 1] if index + 1 < len(order) else None
            listed = by_horizon[horizon.value]
            last = len(listed) - 1
            columns[horizon.value] = [
                cls(
                    pk,
                    title,
                    status,
                    kpi_names.get(kpi_id) if kpi_id else None,
                    reach,
                    impact,
                    confidence,
                    effort,
                    rice,
                    ice,
                    horizon_value,
                    rank,
                    listed[n - 1][0] if n else None,
                    listed[n + 1][0] if n < last else None,
                    left,
                    right,
                )
                for n, (
                    pk,
                    title,
                    status,
                    kpi_id,
                    reach,
                    impact,
                    confidence,
                    effort,
                    rice,
                    ice,
                    horizon_value,
                    rank,
                ) in enumerate(listed)
            ]
        return columns

    @classmethod
    def of_row(
        cls, row: tuple, kpi_name: str | None, before_id: int | None, after_id: int | None
    ) -> Face:
        """The face of one ROW_FIELDS row, with its neighbours in its column as shown."""
        return cls(*row[:3], kpi_name, *row[4:], before_id, after_id, *sides(row[10]))

    @classmethod
    def of(cls, item: RoadmapItem, kpi_names: dict[int, str]) -> Face:
        return cls(
            item.pk,
            item.title,
            item.status,
            kpi_names.get(item.kpi_id) if item.kpi_id else None,
            item.reach,
            item.impact,
            item.confidence,
            item.effort,
            item.rice_score,
            item.ice_score,
            item.horizon,
            item.rank,
            item.before_id,
            item.after_id,
            item.left,
            item.right,
        )


def display(item: Face, field: str) -> str:
    """What products_tags.inplace shows for one of the card's fields."""
    if field == "title":
        return item.title or "—"
    if field == "status":
        return STATUS_LABELS.get(item.status, item.status)
    if field == "kpi":
        return item.kpi_name if item.kpi_name is not None else "no KPI"
    return SHORT[field](item)  # reach, impact, confidence, effort: as products_tags writes them


class Markup:
    """Writes cards for one product, query string and kind of viewer; what the cards share is
    prepared once. The CSRF input is a placeholder, filled in per page by CardWriter."""

    def __init__(self, *, slug: str, query: str, can_edit: bool) -> None:
        self.query = escape(query)
        self.can_edit = can_edit
        self.item_url = url_pattern("products:item", slug, ROW_ID)
        self.move_url = url_pattern("products:item_move", slug, ROW_ID)
        self.field_urls = {
            field: url_pattern("products:item_field", slug, ROW_ID, field) for field in CARD_FIELDS
        }
        self.csrf_input = CSRF_PLACEHOLDER

    def inplace(self, pk: str, title: str, item: Face, field: str, extra: str = "") -> str:
        """templates/products/_inplace.html, as the `inplace` tag renders it."""
        shown = escape(display(item, field))
        if not self.can_edit:
            return f'<span class="{extra}">{shown}</span>\n'
        head, tail = self.item_url
        page_url = f"{head}{pk}{tail}"
        field_head, field_tail = self.field_urls[field]
        label = LABELS[field]
        css = f"inplace {extra}" if extra else "inplace"
        return (
            f'<a class="{css}" href="{page_url}#id_{field}" '
            f'hx-get="{field_head}{pk}{field_tail}{self.query}" hx-target="this" '
            f'hx-swap="outerHTML" data-focus="{field}-{pk}" '
            f'aria-label="Edit {label} of {title}: {shown}" title="Click to edit {label}">'
            f"{shown}</a>\n"
        )

    def move(
        self,
        pk: str,
        title: str,
        *,
        label: str,
        fallback: str,
        symbol: str,
        horizon: str,
        position: int,
        before: object = "",
        after: object = "",
    ) -> str:
        """templates/products/_move.html."""
        head, tail = self.move_url
        url = f"{head}{pk}{tail}{self.query}"
        label = escape(label)
        return (
            f'<form class="inline" method="post" action="{url}" hx-post="{url}" '
            f'hx-target="#roadmap" hx-swap="outerHTML">{self.csrf_input}'
            f'<input type="hidden" name="horizon" value="{escape(horizon)}">'
            f'<input type="hidden" name="position" value="{position}">'
            f'<input type="hidden" name="before" value="{before}">'
            f'<input type="hidden" name="after" value="{after}">'
            f'<button type="submit" class="btn btn-sm move" '
            f'data-focus="move-{slug_of(label)}-{pk}" data-focus-fallback="{fallback}-{pk}" '
            f'aria-label="Move {title} {label}" title="Move {label}">{escape(symbol)}</button>'
            "</form>\n"
        )

    def moves(self, pk: str, title: str, item: Face) -> str:
        parts = ["", "", "", ""]
        if item.before_id:
            parts[0] = self.move(
                pk,
                title,
                label="up",
                fallback="move-down",
                symbol="↑",
                horizon=item.horizon,
                position=item.rank - 1,
                before=item.before_id,
            )
        if item.after_id:
            parts[1] = self.move(
                pk,
                title,
                label="down",
                fallback="move-up",
                symbol="↓",
                horizon=item.horizon,
                position=item.rank + 1,
                after=item.after_id,
            )
        if item.left:
            parts[2] = self.move(
                pk,
                title,
                label=f"to {item.left.label}",
                fallback="title",
                symbol=f"← {item.left.label}",
                horizon=item.left.value,
                position=100000,
            )
        if item.right:
            parts[3] = self.move(
                pk,
                title,
                label=f"to {item.right.label}",
                fallback="title",
                symbol=f"{item.right.label} →",
                horizon=item.right.value,
                position=0,
            )
        return (
            "\n          <div "
            f'class="move-buttons" role="group" aria-label="Move {title}">\n            '
            + "\n            ".join(parts)
            + "\n          </div>\n          "
        )

    def card(self, item: Face) -> str:
        """templates/products/_card.html for one item, with the CSRF placeholder."""
        pk = str(item.pk)
        title = escape(item.title)
        head, tail = self.move_url
        item_head, item_tail = self.item_url
        handle = (
            '<span class="drag-handle" title="Drag to move" aria-hidden="true">⋮⋮</span>'
            if self.can_edit
            else ""
        )
        status = self.inplace(pk, title, item, "status", f"status-pill status-{item.status}")
        return (
            f'<li class="card-item" id="item-{pk}" data-id="{pk}" '
            f'data-move-url="{head}{pk}{tail}{self.query}">\n'
            '          <div class="card-top">\n'
            f"            {handle}\n"
            f'            <h3 class="item-title">{self.inplace(pk, title, item, "title")}</h3>\n'
            f'            <a class="item-open" href="{item_head}{pk}{item_tail}" '
            f'title="Open the item\'s page" aria-label="Open {title}">↗</a>\n'
            "          </div>\n"
            '          <div class="card-meta">\n'
            f"            {status}\n"
            '            <span class="kpi-tag" title="The KPI it should move">'
            f"{self.inplace(pk, title, item, 'kpi')}</span>\n"
            "          </div>\n"
            '          <div class="card-scores">\n'
            '            <span class="score-chip" title="RICE: reach × impact × confidence ÷ '
            'effort">RICE <strong class="score" data-score="rice">'
            f"{whole(item.rice_score)}</strong></span>\n"
            '            <span class="score-chip" title="ICE: impact × confidence × ease">ICE '
            f'<strong class="score" data-score="ice">{item.ice_score}</strong></span>\n'
            "          </div>\n"
            '          <dl class="inputs">\n'
            '            <div><dt title="Reach per quarter">R</dt><dd>'
            f"{self.inplace(pk, title, item, 'reach')}</dd></div>\n"
            '            <div><dt title="Impact">I</dt><dd>'
            f"{self.inplace(pk, title, item, 'impact')}</dd></div>\n"
            '            <div><dt title="Confidence">C</dt><dd>'
            f"{self.inplace(pk, title, item, 'confidence')}</dd></div>\n"
            '            <div><dt title="Effort, person-months">E</dt><dd>'
            f"{self.inplace(pk, title, item, 'effort')}</dd></div>\n"
            "          </dl>\n"
            f"          {self.moves(pk, title, item) if self.can_edit else ''}\n"
            "        </li>"
        )


CSRF_PLACEHOLDER = "\x00csrf\x00"  # never in escaped text: markup escapes no control byte
INDENT = b"\n        "  # around each card, as the template's loop laid them out


@lru_cache(maxsize=16)
def markup(slug: str, query: str, can_edit: bool) -> Markup:
    return Markup(slug=slug, query=query, can_edit=can_edit)


@lru_cache(maxsize=2048)
def card_markup(slug: str, query: str, can_edit: bool, face: Face) -> bytes:
    """A card, UTF-8 encoded, memoised on everything it shows (no stale card is possible: a
    changed item has another Face). 2,048 cards of ~6 KB bound the memory at ~12 MB per
    process."""
    return markup(slug, query, can_edit).card(face).encode()


class CardWriter:
    """Writes the cards of one board page, with that page's CSRF token."""

    def __init__(
        self,
        *,
        slug: str,
        query: str,
        can_edit: bool,
        csrf_token: str,
        kpi_names: dict[int, str] | None = None,
    ) -> None:
        self.key = (slug, query, can_edit)
        self.kpi_names = kpi_names or {}
        self.csrf_input = csrf_input(csrf_token).encode()

    def card(self, item: RoadmapItem) -> SafeString:
        """One item's card (the board itself writes whole columns of faces)."""
        return self.face_card(Face.of(item, self.kpi_names))

    def face_card(self, face: Face) -> SafeString:
        """One card, from its face: what an in-place edit answers with."""
        html = card_markup(*self.key, face)
        return SafeString(html.replace(CSRF_PLACEHOLDER.encode(), self.csrf_input).decode())

    def column(self, faces: list[Face]) -> bytes:
        """A column's cards as the template's loop laid them out, with the page's token."""
        if not faces:
            return b""
        cards = (INDENT + INDENT).join([card_markup(*self.key, face) for face in faces])
        return (INDENT + cards + INDENT).replace(CSRF_PLACEHOLDER.encode(), self.csrf_input)


CARD_MARKER = re.compile(r"<!--roleplan-cards-(\d+)-->")


class CardSlots:
    """Where the cards go in the rendered page.

    The template engine joins a page's text again at every level of nesting (loops, partials,
    blocks, the base template): a megabyte of cards would be copied a dozen times, and encoded
    once more for the response. So the template gets a short marker per column, and `fill`
    puts the cards, already encoded, in with one join. A marker is an HTML comment: text typed
    by a user is escaped (`<` becomes `&lt;`), so no user text can forge or break one — not
    even text with NUL bytes echoed back in a form error."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def add(self, html: bytes) -> SafeString:
        self.parts.append(html)
        return SafeString(f"<!--roleplan-cards-{len(self.parts) - 1}-->")

    def fill(self, page: str) -> bytes:
        """The page as UTF-8 bytes, with the cards in place of the markers."""
        pieces: list[bytes] = []
        for index, piece in enumerate(CARD_MARKER.split(page)):
            if index % 2:
                pieces.append(self.parts[int(piece)])
            else:
                pieces.append(piece.encode())
        return b"".join(pieces)

"""Search from the top bar: every kind of object, ranked with title matches first, within what
the person may see. THE one place where PostgreSQL and SQLite differ, on purpose:

- PostgreSQL: full-text search (to_tsvector / websearch_to_tsquery, English stemming). Each
  kind's document is its title (weight A) and its texts (weight B), and the table of each kind
  whose document lies in its own row has a GIN index on exactly that expression (created by
  migration 0002 through `create_indexes`), so matching reads the index; rank is ts_rank.
  Products and weekly syncs take their title from another table (the asset's name, the
  product manager's): their few rows are matched without an index; a sync is also found by
  the name of a project its pair shares.
- SQLite (make run): every word must appear (icontains) in the title or a text; rank is
  whether the title has them all. The same results for plain words, without stemming.

One query finds a page of hits across every kind: a UNION ALL of one SELECT per kind (kind,
id, rank, title match), each filtered by who may see it (targets.Target.visible: the sync's
participants only for its meetings' notes, action items and decisions; comments where their
object is visible), ordered title matches first, then rank, then newest. Then each kind on the
page is read once for what its line shows. Highlighting is done when showing a line: the text
is split into parts and the template marks the matching ones, escaping every part.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection, models
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast

from roleplan.activity.models import Comment
from roleplan.activity.targets import COMMENTABLE, TARGETS, Target, signed_in
from roleplan.alignment.models import shared_projects
from roleplan.ownership.models import AssetKind
from roleplan.people import display_name

CONFIG = "english"
PER_PAGE = 20
LAST_PAGE = 10_000  # past every result; the search answers an empty page beyond
MAX_TERMS = 8
SNIPPET_BEFORE, SNIPPET_AFTER = 60, 180
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Source:
    """One kind of object in the search: its title field (None: matched by its texts only)
    and its text fields; `indexed` when all of them are columns of its own table."""

    target: Target
    title: str | None
    texts: tuple[str, ...] = ()
    where: Q = Q()
    # Matches found another way as well: (query, terms) -> a condition on the kind's rows.
    also: Callable[[str, list[str]], Q] | None = None

    @property
    def indexed(self) -> bool:
        return all("__" not in name for name in self.fields)

    @property
    def fields(self) -> tuple[str, ...]:
        return ((self.title,) if self.title else ()) + self.texts

    def vector(self) -> SearchVector:
        parts = []
        if self.title:
            parts.append(SearchVector(self.title, weight="A", config=CONFIG))
        if self.texts:
            parts.append(SearchVector(*self.texts, weight="B", config=CONFIG))
        vector = parts[0]
        for part in parts[1:]:
            vector = vector + part
        return vector

    @property
    def index_name(self) -> str:
        return f"activity_fts_{self.target.model._meta.db_table}"[:63]


SOURCES: list[Source] = [
    Source(
        TARGETS["product"],
        "asset__name",
        ("positioning", "vision", "strategy", "target_audience", "needs"),
    ),
    Source(TARGETS["item"], "title", ("problem", "audience", "requirements", "success_metric")),
    Source(TARGETS["hypothesis"], "hypothesis", ("action", "metric", "insight")),
    Source(TARGETS["product-risk"], "title", ("mitigation",)),
    Source(TARGETS["project"], "name", ("statement_of_work", "benefits", "outcomes")),
    Source(TARGETS["deliverable"], "title", ("description",)),
    Source(TARGETS["milestone"], "title", ("description",)),
    Source(TARGETS["project-risk"], "title", ("mitigation",)),
    Source(TARGETS["change"], "title", ("description", "why", "value")),
    Source(TARGETS["change-decision"], None, ("rationale",)),
    # A pair's sync (issue 16): by its product manager's name, or a project the two share.
    Source(
        TARGETS["sync"],
        "product_manager__last_name",
        also=lambda query, terms: _sync_by_projects(query, terms),
    ),
    Source(TARGETS["meeting"], None, ("notes",)),
    Source(TARGETS["action-item"], "text"),
    Source(TARGETS["sync-decision"], "text"),
    # A product's asset is found as the product.
    Source(
        TARGETS["asset"],
        "name",
        ("description", "team"),
        where=~Q(kind=AssetKind.PRODUCT, product__isnull=False),
    ),
]
COMMENT_TEXTS = ("body",)


def on_postgresql(conn=connection) -> bool:
    """The one switch between the two databases (see the module's docstring); SQLite gets the
    plain word match the ORM can say on both."""
    # Vendor branch because the ORM cannot say full-text search on SQLite: SearchVector,
    # SearchQuery and SearchRank (django.contrib.postgres, over GIN indexes) compile only there.
    return conn.vendor == "postgresql"


def terms_of(query: str) -> list[str]:
    """The words of a query, lower-cased, each once, at most MAX_TERMS."""
    seen: dict[str, None] = {}
    for word in WORD.findall(query.lower()):
        seen.setdefault(word, None)
    return list(seen)[:MAX_TERMS]


# Matching -------------------------------------------------------------------------------------


def _every_term(fields: Iterable[str], terms: list[str]) -> Q:
    """SQLite: each term in one of the fields."""
    condition = Q()
    for term in terms:
        anywhere = Q()
        for name in fields:
            anywhere |= Q(**{f"{name}__icontains": term})
        condition &= anywhere
    return condition


def _sync_by_projects(query: str, terms: list[str]) -> Q:
    """Series whose pair shares an active project whose name matches."""
    projects = shared_projects(OuterRef("product_manager"), OuterRef("project_manager"))
    if on_postgresql():
        search = SearchQuery(query, search_type="websearch", config=CONFIG)
        named = projects.annotate(name_document=SearchVector("name", config=CONFIG))
        return Q(Exists(named.filter(name_document=search)))
    return Q(Exists(projects.filter(_every_term(["name"], terms))))


def _hits(
    queryset: QuerySet,
    slug: str,
    title: str | None,
    fields: tuple[str, ...],
    vector: SearchVector,
    query: str,
    terms: list[str],
    also: Q | None = None,
) -> QuerySet:
    """One kind's SELECT of the UNION: (kind, id, rank, title match) of its matches (`also`:
    rows matched another way too)."""
    if on_postgresql():
        search = SearchQuery(query, search_type="websearch", config=CONFIG)
        found = Q(document=search) if also is None else Q(document=search) | also
        matched = queryset.annotate(document=vector).filter(found)
        rank = SearchRank(F("document"), search)
        if title:
            matched = matched.annotate(title_document=SearchVector(title, config=CONFIG))
            title_hit = Case(When(title_document=search, then=Value(1)), default=Value(0))
        else:
            title_hit = Value(0)
    else:
        found = _every_term(fields, terms)
        matched = queryset.filter(found if also is None else found | also)
        title_hit = (
            Case(When(_every_term([title], terms), then=Value(1)), default=Value(0))
            if title
            else Value(0)
        )
        rank = title_hit
    # Names no model has as a field (RoadmapItem has a rank, Asset a kind).
    return (
        matched.annotate(
            hit_kind=Value(slug, output_field=models.CharField()),
            hit_id=F("pk"),
            hit_rank=Cast(rank, FloatField()),
            hit_title=Cast(title_hit, IntegerField()),
        )
        .values("hit_kind", "hit_id", "hit_rank", "hit_title")
        .order_by()
    )


def _comments_visible(user: User) -> QuerySet:
    """Comments not deleted whose object `user` may see (private objects: theirs only)."""
    open_types, private = [], Q()
    for target in COMMENTABLE.values():
        ct = ContentType.objects.get_for_model(target.model)
        if target.private is None or user.is_staff:
            open_types.append(ct.pk)
        else:
            private |= Q(content_type=ct, object_id__in=target.visible(user).values("pk"))
    return Comment.objects.visible().filter(Q(content_type__in=open_types) | private)


def hit_queries(user: User, query: str) -> list[QuerySet]:
    terms = terms_of(query)
    queries = [
        _hits(
            source.target.visible(user).filter(source.where),
            source.target.slug,
            source.title,
            source.fields,
            source.vector(),
            query,
            terms,
            source.also(query, terms) if source.also else None,
        )
        for source in SOURCES
    ]
    queries.append(
        _hits(
            _comments_visible(user),
            "comment",
            None,
            COMMENT_TEXTS,
            SearchVector(*COMMENT_TEXTS, weight="B", config=CONFIG),
            query,
            terms,
        )
    )
    return queries


# Results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    text: str
    match: bool


@dataclass(frozen=True)
class Result:
    kind: str
    label: str
    title: list[Part]
    snippet: list[Part]
    context: str
    url: str


@dataclass(frozen=True)
class Page:
    query: str
    results: list[Result]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def highlight(text: str, terms: list[str]) -> list[Part]:
    """`text` in parts, the words that start with a term (or its stem: PostgreSQL matches
    'fridays' for 'friday') marked."""
    stems = [t if len(t) < 5 else t[:-1] for t in terms]
    parts: list[Part] = []
    position = 0
    for word in WORD.finditer(text):
        lower = word.group().lower()
        if any(lower.startswith(stem) for stem in stems):
            if word.start() > position:
                parts.append(Part(text[position : word.start()], False))
            parts.append(Part(word.group(), True))
            position = word.end()
    if position < len(text):
        parts.append(Part(text[position:], False))
    return parts


MARKDOWN_MARKS = re.compile(r"[*`#]+")


def snippet(texts: Iterable[str], terms: list[str]) -> str:
    """The part of the texts around the first matching word, on one line, without Markdown's
    emphasis and heading marks."""
    text = " · ".join(" ".join(MARKDOWN_MARKS.sub("", t).split()) for t in texts if t and t.strip())
    lower = text.lower()
    stems = [t if len(t) < 5 else t[:-1] for t in terms]
    found = [i for i in (lower.find(stem) for stem in stems) if i >= 0]
    start = max(0, min(found) - SNIPPET_BEFORE) if found else 0
    end = start + SNIPPET_BEFORE + SNIPPET_AFTER
    piece = text[start:end]
    return ("…" if start else "") + piece + ("…" if end < len(text) else "")


def _load(rows: list[dict]) -> dict[tuple[str, int], models.Model]:
    """The objects of a page of hits: one query per kind on the page."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_kind[row["hit_kind"]].append(row["hit_id"])
    objects: dict[tuple[str, int], models.Model] = {}
    for kind, ids in by_kind.items():
        if kind == "comment":
            found = Comment.objects.select_related("author", "content_type").in_bulk(ids)
        else:
            target = TARGETS[kind]
            found = target.model._default_manager.select_related(*target.related).in_bulk(ids)
        objects |= {(kind, pk): obj for pk, obj in found.items()}
    return objects


def _comment_targets(comments: list[Comment]) -> dict[tuple[int, int], models.Model]:
    """The objects the comments of a page are on: one query per kind of object."""
    by_type: dict[int, list[int]] = defaultdict(list)
    for comment in comments:
        by_type[comment.content_type_id].append(comment.object_id)
    found: dict[tuple[int, int], models.Model] = {}
    for ct_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        target = next(t for t in COMMENTABLE.values() if t.model is model)
        rows = model._default_manager.select_related(*target.related).in_bulk(ids)
        found |= {(ct_id, pk): obj for pk, obj in rows.items()}
    return found


def _result(kind: str, obj: models.Model, terms: list[str], on: dict) -> Result | None:
    if kind == "comment":
        target_obj = on.get((obj.content_type_id, obj.object_id))
        if target_obj is None:
            return None
        target = next(t for t in COMMENTABLE.values() if t.model is type(target_obj))
        return Result(
            kind=kind,
            label="Comment",
            title=highlight(f"{display_name(obj.author)} on {target.title(target_obj)}", []),
            snippet=highlight(snippet([obj.body], terms), terms),
            context=target.label,
            url=f"{target.url(target_obj)}#comment-{obj.pk}",
        )
    source = next(s for s in SOURCES if s.target.slug == kind)
    target = source.target
    texts = [str(getattr(obj, name) or "") for name in source.texts]
    return Result(
        kind=kind,
        label=target.label,
        title=highlight(target.title(obj), terms),
        snippet=highlight(snippet(texts, terms), terms) if texts else [],
        context=target.context(obj),
        url=target.url(obj),
    )


def search(user: User, query: str, *, page: int = 1) -> Page:
    """A page of what `user` may see matching `query`, best first."""
    query = " ".join(query.split())[:200]
    terms = terms_of(query)
    # Bounded above too: ?page=99999999999999999999 would be an OFFSET past PostgreSQL's bigint.
    page = min(max(1, page), LAST_PAGE)
    if not (terms and signed_in(user)):
        return Page(query=query, results=[], number=page, has_next=False)
    first, *rest = hit_queries(user, query)
    start = (page - 1) * PER_PAGE
    rows = list(
        first.union(*rest, all=True).order_by("-hit_title", "-hit_rank", "hit_kind", "-hit_id")[
            start : start + PER_PAGE + 1
        ]
    )
    has_next = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    objects = _load(rows)
    comments = [obj for (kind, _), obj in objects.items() if kind == "comment"]
    on = _comment_targets(comments) if comments else {}
    results = []
    for row in rows:
        obj = objects.get((row["hit_kind"], row["hit_id"]))
        result = _result(row["hit_kind"], obj, terms, on) if obj is not None else None
        if result is not None:
            results.append(result)
    return Page(query=query, results=results, number=page, has_next=has_next)


# Indexes (PostgreSQL) -------------------------------------------------------------------------


def indexes() -> list[tuple[type[models.Model], GinIndex]]:
    """The GIN index of each kind whose document lies in its own row, on the very expression
    the search filters on (so the planner uses it)."""
    result = [
        (source.target.model, GinIndex(source.vector(), name=source.index_name))
        for source in SOURCES
        if source.indexed
    ]
    comments = SearchVector(*COMMENT_TEXTS, weight="B", config=CONFIG)
    result.append((Comment, GinIndex(comments, name="activity_fts_comment")))
    return result


def create_indexes(apps, schema_editor) -> None:
    """Migration 0002: the GIN indexes, on PostgreSQL (SQLite's search reads no index)."""
    if not on_postgresql(schema_editor.connection):
        return
    for model, index in indexes():
        schema_editor.add_index(apps.get_model(model._meta.label), index)


def drop_indexes(apps, schema_editor) -> None:
    if not on_postgresql(schema_editor.connection):
        return
    for model, index in indexes():
        schema_editor.remove_index(apps.get_model(model._meta.label), index)

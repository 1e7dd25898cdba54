"""Every page a manager reaches from roleplan's navigation, by URL name, and the objects it shows.

The pages are named as the URLconfs name them and reversed at run time, so moving a view to
another module changes nothing here; a page whose name is gone, or that does not answer 200, is
reported as failing instead of stopping the benchmark. The list follows the navigation of
base.html (Dashboard, Products, Projects, Ownership, Sync, the user's profile, Password) and the
links and tabs of each page from there: the product page and its forms (edit, KPIs, risks), the
roadmap's board and table, an item's page and its in-place editor, the project's tabs (overview,
scope, timeline, budget, risks, changes), a change request and its option form, the project's
forms, the registry, an asset and its forms, the sync index, a meeting, a series' settings.
Downloads (CSV, MSPDI, iCalendar) are not pages and are left out.

`Objects` names the objects these pages show on one data set: the demo's (seed_demo) for the
query counts, the large data set's (pages_data.py) for the load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

PRODUCT_MANAGER = "product.manager"
PROJECT_MANAGER = "project.manager"


@dataclass
class Objects:
    product_slug: str
    project_slug: str
    asset_slug: str
    item_id: int
    kpi_id: int | None
    product_risk_id: int | None
    deliverable_id: int | None
    milestone_id: int | None
    cost_id: int | None
    project_risk_id: int | None
    change_number: int | None
    meeting_id: int | None
    series_id: int | None
    edit_item_ids: list[int] = field(default_factory=list)
    move_item_ids: list[int] = field(default_factory=list)


def find_objects(product_slug: str, project_slug: str) -> Objects:
    """The objects of one product and one project that serves it, read with the ORM."""
    from products.models import Horizon, RoadmapItem
    from projects.models import Project
    from roleplan.alignment.models import SyncMeeting

    items = RoadmapItem.objects.filter(product__asset__slug=product_slug)
    product = items.first().product if items.exists() else None
    edited = items.filter(version__gt=1).order_by("pk").values_list("pk", flat=True).first()
    later = list(
        items.filter(horizon=Horizon.LATER).order_by("rank", "pk").values_list("pk", flat=True)
    )
    later = later or list(items.order_by("pk").values_list("pk", flat=True))
    project = Project.objects.get(slug=project_slug)
    meeting = (
        SyncMeeting.objects.filter(
            series__product_manager=project.product.asset.owner_id,
            series__project_manager=project.manager_id,
        )
        .order_by("-week_start")
        .values_list("pk", "series_id")
        .first()
    )

    def first(queryset, column: str = "pk"):
        return queryset.order_by(column).values_list(column, flat=True).first()

    return Objects(
        product_slug=product_slug,
        project_slug=project_slug,
        asset_slug=product_slug if product is None else product.asset.slug,
        item_id=edited or later[0],
        kpi_id=first(product.kpis.all()) if product else None,
        product_risk_id=first(product.risks.all()) if product else None,
        deliverable_id=first(project.deliverables.all()),
        milestone_id=first(project.milestones.all()),
        cost_id=first(project.cost_lines.all()),
        project_risk_id=first(project.risks.all()),
        # an open request: the page the two managers work on (options, the decision form)
        change_number=first(project.change_requests.open(), "number")
        or first(project.change_requests.all(), "number"),
        meeting_id=meeting[0] if meeting else None,
        series_id=meeting[1] if meeting else None,
        # one item per load-generator connection for the in-place edit, four others for drags
        edit_item_ids=later[:4],
        move_item_ids=later[4:8] or later[:4],
    )


@dataclass(frozen=True)
class PageSpec:
    key: str
    label: str
    url_name: str
    args: Callable[[Objects], list] = lambda o: []
    query: str = ""
    who: str = PRODUCT_MANAGER
    htmx: bool = False
    kind: str = "get"  # get; edit (in-place edit POST); move (a drag on the board, POST)


P = PRODUCT_MANAGER
J = PROJECT_MANAGER


def _product(o: Objects) -> list:
    return [o.product_slug]


def _project(o: Objects) -> list:
    return [o.project_slug]


PAGES: list[PageSpec] = [
    # The top bar
    PageSpec("dashboard", "dashboard", "dashboard"),
    PageSpec("products", "products index", "products:index"),
    PageSpec("projects", "projects index", "projects:index", who=J),
    PageSpec("registry", "registry (ownership index)", "ownership:index"),
    PageSpec("sync_index", "sync index", "alignment:index"),
    PageSpec("profile", "profile (calendar and reminders)", "alignment:profile"),
    PageSpec("password", "password change", "password_change"),
    # A product
    PageSpec("product", "product page", "products:detail", _product),
    PageSpec("product_edit", "product: edit form", "products:edit", _product),
    PageSpec("product_new", "new product form", "products:create"),
    PageSpec("kpi_new", "KPI: new form", "products:kpi_create", _product),
    PageSpec(
        "kpi_edit",
        "KPI page (edit, measurements)",
        "products:kpi_edit",
        lambda o: [o.product_slug, o.kpi_id],
    ),
    PageSpec("product_risk_new", "product risk: new form", "products:risk_create", _product),
    PageSpec(
        "product_risk_edit",
        "product risk: edit form",
        "products:risk_edit",
        lambda o: [o.product_slug, o.product_risk_id],
    ),
    PageSpec("board", "roadmap board", "products:roadmap", _product),
    PageSpec("table", "roadmap table", "products:roadmap", _product, query="?view=table"),
    PageSpec("item", "item page", "products:item", lambda o: [o.product_slug, o.item_id]),
    PageSpec(
        "editor",
        "in-place editor (opened, htmx)",
        "products:item_edit",
        lambda o: [o.product_slug, o.edit_item_ids[0]],
        htmx=True,
    ),
    # the editor's form as it is (its action, its fields), with a new reach each time
    PageSpec(
        "edit",
        "in-place edit (POST)",
        "products:item_edit",
        lambda o: [o.product_slug, o.edit_item_ids[0]],
        kind="edit",
    ),
    PageSpec(
        "move",
        "drag on the board (move POST)",
        "products:item_move",
        lambda o: [o.product_slug, o.move_item_ids[0]],
        kind="move",
    ),
    # A project, as its manager sees it
    PageSpec("project", "project overview", "projects:detail", _project, who=J),
    PageSpec("scope", "project scope", "projects:scope", _project, who=J),
    PageSpec("timeline", "project timeline", "projects:timeline", _project, who=J),
    PageSpec("budget", "project budget", "projects:budget", _project, who=J),
    PageSpec("project_risks", "project risks", "projects:risks", _project, who=J),
    PageSpec("changes", "project changes", "projects:changes", _project, who=J),
    PageSpec(
        "change",
        "change request page",
        "projects:change",
        lambda o: [o.project_slug, o.change_number],
        who=J,
    ),
    PageSpec(
        "option_new",
        "change request: new option form (loaded when asked for)",
        "projects:option_add",
        lambda o: [o.project_slug, o.change_number],
        who=J,
    ),
    PageSpec("project_edit", "project: edit form", "projects:edit", _project, who=J),
    PageSpec("project_new", "new project form", "projects:create", who=J),
    # asking for a change is the product owner's
    PageSpec("change_new", "change request: new form", "projects:change_new", _project),
    PageSpec(
        "deliverable_edit",
        "deliverable: edit form",
        "projects:deliverable_edit",
        lambda o: [o.project_slug, o.deliverable_id],
        who=J,
    ),
    PageSpec(
        "milestone_edit",
        "milestone: edit form",
        "projects:milestone_edit",
        lambda o: [o.project_slug, o.milestone_id],
        who=J,
    ),
    PageSpec(
        "cost_edit",
        "cost line: edit form",
        "projects:cost_edit",
        lambda o: [o.project_slug, o.cost_id],
        who=J,
    ),
    PageSpec(
        "project_risk_edit",
        "project risk: edit form",
        "projects:risk_edit",
        lambda o: [o.project_slug, o.project_risk_id],
        who=J,
    ),
    # Ownership
    PageSpec("asset", "asset page", "ownership:asset", lambda o: [o.asset_slug]),
    PageSpec("asset_edit", "asset: edit form", "ownership:edit", lambda o: [o.asset_slug]),
    PageSpec("handover", "asset: handover form", "ownership:handover", lambda o: [o.asset_slug]),
    PageSpec("asset_new", "new asset form", "ownership:create"),
    # The weekly sync
    PageSpec("meeting", "sync meeting page", "alignment:meeting", lambda o: [o.meeting_id]),
    PageSpec("series", "sync series settings", "alignment:series", lambda o: [o.series_id]),
]

# References, not targets: what Django itself costs (bench URLconf only, pages_urls.py).
REFERENCES: list[PageSpec] = [
    PageSpec("floor", "bare Django view (reference)", "bench_floor"),
    PageSpec("base", "base.html, no content (reference)", "bench_base"),
]


@dataclass(frozen=True)
class Pair:
    key: str  # the roleplan page's key
    peer: str  # the Redmine page's key in redmine_peer.paths()
    label: str
    peer_label: str
    min_ratio: float  # roleplan's throughput over Redmine's, at least
    browser: bool = True


PAIRS: list[Pair] = [
    Pair("board", "issues", "roadmap board, 200 items", "issue list, 200 issues", 10.0),
    Pair("table", "issues", "roadmap table, 200 items", "issue list, 200 issues", 10.0),
    Pair("project", "overview", "project overview, 300 deliverables", "project overview", 3.0),
    Pair("timeline", "gantt", "timeline, 300 deliverables", "Gantt, all issues", 3.0),
    Pair("item", "issue", "item page", "issue page", 3.0),
    Pair("edit", "put", "in-place edit (POST)", "PUT /issues/N.json", 3.0, browser=False),
]

# Scale rows (issue 14): the page at a larger size, against its figure at the large data set.
SCALE: list[tuple[str, str, str]] = [
    # (key at scale, page key, label)
    ("board_1000", "board", "roadmap board, 1,000 items"),
    ("board_5000", "board", "roadmap board, 5,000 items"),
    ("table_1000", "table", "roadmap table, 1,000 items"),
    ("table_5000", "table", "roadmap table, 5,000 items"),
    ("project_2000", "project", "project overview, 2,000 deliverables"),
    ("scope_2000", "scope", "project scope, 2,000 deliverables"),
    ("timeline_2000", "timeline", "project timeline, 2,000 deliverables"),
    ("registry_50000", "registry", "registry, 50,000 assets"),
]


def by_key(key: str) -> PageSpec:
    for spec in PAGES + REFERENCES:
        if spec.key == key:
            return spec
    raise KeyError(key)


def path_of(spec: PageSpec, objects: Objects) -> str:
    """The page's path, reversed from its URL name; NoReverseMatch when the name is gone or an
    object is missing (None in the arguments)."""
    from django.urls import NoReverseMatch, reverse

    args = spec.args(objects)
    if any(a is None for a in args):
        raise NoReverseMatch(f"no object for {spec.key} on this data set")
    return reverse(spec.url_name, args=args) + spec.query

"""What the product side shows of projects, through products.extensions (registered in
projects/apps.py):

- who delivers a roadmap item (`item_deliveries`): "delivered by" is derived, never stored
  twice: an item is delivered by the project whose in-scope deliverables trace to it (when
  several do, the one with the most of them). Its forecast is the last due date of that
  project's open deliverables for the item (an overdue one counts as today), or the day the
  last was done; it is late when work is overdue or the forecast falls after the project's
  deadline. One query for every item a page shows.
- the product page's "Projects" section (`projects_panel`): the product's projects with their
  status, health, deadline and next milestone: one query for the projects, their figures from
  the cache (projects.health.figures_cached) and read only for those that changed.
"""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, Max, OuterRef, Q, Subquery, Value, When
from django.urls import reverse
from django.utils import timezone

from products.access import can_plan
from products.extensions import ItemDelivery, ProductPanel
from projects import health
from projects.models import Deliverable, DeliverableStatus, Milestone, Project, ProjectStatus

STARTED = (DeliverableStatus.IN_PROGRESS, DeliverableStatus.BLOCKED, DeliverableStatus.DONE)


def item_deliveries(item_ids: list[int]) -> dict[int, ItemDelivery]:
    """The delivering project of each of these roadmap items that one delivers, in one query."""
    today = timezone.localdate()
    done = Q(status=DeliverableStatus.DONE)
    rows = (
        Deliverable.objects.filter(roadmap_item_id__in=list(item_ids), in_scope=True)
        .exclude(project__status=ProjectStatus.CANCELLED)
        .order_by()
        .values(
            "roadmap_item_id", "project_id", "project__name", "project__slug", "project__deadline"
        )
        .annotate(
            total=Count("id"),
            done=Count("id", filter=done),
            started=Count("id", filter=Q(status__in=STARTED)),
            overdue=Count("id", filter=~done & Q(due_date__lt=today)),
            open_due=Max("due_date", filter=~done),
            last_done=Max("done_on", filter=done),
        )
    )
    best: dict[int, dict] = {}
    for row in rows:
        item = row["roadmap_item_id"]
        key = (row["total"], -row["project_id"])
        if item not in best or key > (best[item]["total"], -best[item]["project_id"]):
            best[item] = row
    urls: dict[str, str] = {}  # one reverse() a project, not one an item
    for row in best.values():
        slug = row["project__slug"]
        if slug not in urls:
            urls[slug] = reverse("projects:detail", args=[slug])
        row["url"] = urls[slug]
    return {item: delivery_of(row, today) for item, row in best.items()}


def delivery_of(row: dict, today) -> ItemDelivery:
    total, done = row["total"], row["done"]
    if done == total:
        state, forecast = "Delivered", row["last_done"]
    else:
        state = "In progress" if row["started"] else "Planned"
        forecast = row["open_due"] or row["project__deadline"]
        if row["overdue"]:
            forecast = max(forecast, today)
    late = bool(row["overdue"]) or (done < total and forecast > row["project__deadline"])
    return ItemDelivery(
        project_name=row["project__name"],
        url=row["url"],
        status_label=f"{state} · {done} of {total} done",
        forecast=forecast,
        late=late,
    )


PANEL_FIELDS = (
    "name",
    "slug",
    "status",
    "deadline",
    "budget",
    "currency",
    "revision",
    "created_at",
    "product_id",
    "manager__first_name",
    "manager__last_name",
    "manager__username",
)


def projects_panel(product, user) -> ProductPanel:
    """The product page's "Projects" section: every project of the product, open ones first."""
    today = timezone.localdate()
    next_milestone = Milestone.objects.filter(
        project=OuterRef("pk"), done_on__isnull=True
    ).order_by("due_date", "id")
    projects = list(
        Project.objects.filter(product=product)
        .select_related("manager")
        .only(*PANEL_FIELDS)
        .annotate(
            next_title=Subquery(next_milestone.values("title")[:1]),
            next_due=Subquery(next_milestone.values("due_date")[:1]),
            closed=Case(
                When(status__in=[ProjectStatus.DONE, ProjectStatus.CANCELLED], then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .order_by("closed", "deadline", "name")
    )
    figures = health.figures_cached(projects, today)
    rows = [
        {
            "project": p,
            "health": health.assess(figures[p.pk].facts),
            "days_left": (p.deadline - today).days,
            "next_overdue": p.next_due is not None and p.next_due < today,
        }
        for p in projects
    ]
    create_url = ""
    if can_plan(user):
        create_url = reverse("projects:create") + f"?product={product.pk}"
    return ProductPanel(
        template="projects/_product_panel.html",
        context={"project_rows": rows, "create_project_url": create_url},
        title="Projects",
    )

"""The large data set of the page benchmark, on top of the demo (seed_demo).

- a product ("Checkout platform", owned by the demo's product manager) whose roadmap has 200
  items in now / next / later, three KPIs, product risks and a history of recent edits;
- a project serving it with 300 deliverables (traced to roadmap items, some out of scope, some
  added after the baseline), 40 milestones with finish-to-start dependencies, cost lines, risks
  and change requests, approved with its first baseline;
- the weekly sync of that project: last week's meeting with notes, decisions and action items,
  and this week's meeting whose agenda is built from all of the above (services.meeting_prepare);
- 1,000 more assets in the ownership registry, owned by 40 more people, each with its
  registration in the handover log; the product's own asset has a history of handovers.

Rows that come in bulk go in with bulk_create, keeping every invariant the services keep
(dense ranks per horizon, a "created" history row per item, a done date on done deliverables,
won't-haves out of scope, one registration handover per asset). The few rows whose services do
more (the product, approval and baseline, risks, change requests, the agenda) go through the
services themselves.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from products import services as product_services
from products.models import (
    IMPACT_VALUES,
    ChangeAction,
    Confidence,
    Horizon,
    Product,
    RoadmapItem,
    RoadmapItemChange,
    Status,
)
from projects import services as project_services
from projects.models import (
    CostCategory,
    CostLine,
    Deliverable,
    DeliverableStatus,
    ItemEffect,
    Milestone,
    MilestoneDependency,
    Moscow,
    RiskCategory,
)
from roleplan.alignment import services as sync_services
from roleplan.alignment.models import ActionItem, Decision, SyncMeeting, SyncSeries
from roleplan.ownership.models import Asset, AssetKind, Handover

PRODUCT_SLUG = "bench-checkout-platform"
PROJECT_SLUG = "bench-checkout-rebuild"
ITEMS = 200
DELIVERABLES = 300
MILESTONES = 40
ASSETS = 1000
PEOPLE = 40
HORIZON_SIZES = {Horizon.NOW: 40, Horizon.NEXT: 60, Horizon.LATER: 100}

VERBS = ["Faster", "Simpler", "Guest", "One-click", "Saved", "Split", "Localised", "Accessible"]
NOUNS = [
    "checkout",
    "payment retries",
    "address lookup",
    "delivery slots",
    "gift cards",
    "invoices",
    "refunds",
    "vouchers",
    "wallet payments",
    "order tracking",
    "fraud checks",
    "tax display",
    "basket sharing",
    "returns portal",
    "loyalty points",
]
SYSTEM_WORDS = ["Billing", "Warehouse", "Search", "Identity", "Pricing", "Catalogue", "Support"]
PROCESS_WORDS = ["Onboarding", "Month-end close", "Returns", "Incident review", "Hiring", "Audit"]


@dataclass
class LargeData:
    """What the benchmark drives: slugs and ids of the large objects."""

    product_slug: str
    project_slug: str
    meeting_id: int
    asset_slug: str
    edit_item_ids: list[int]


def title_for(n: int) -> str:
    return f"{VERBS[n % len(VERBS)]} {NOUNS[(n // len(VERBS)) % len(NOUNS)]} #{n + 1}"


def people(demo: dict[str, User]) -> list[User]:
    """Forty more colleagues, for owners and deputies in the registry."""
    now = timezone.now()
    password = make_password(None)  # unusable: nobody signs in as them
    User.objects.bulk_create(
        [
            User(
                username=f"bench.person{n:02d}",
                first_name=f"Person{n:02d}",
                last_name="Bench",
                email=f"bench.person{n:02d}@example.com",
                password=password,
                date_joined=now,
            )
            for n in range(PEOPLE)
        ]
    )
    return list(User.objects.filter(username__startswith="bench.person").order_by("username"))


def create_product(
    demo: dict[str, User],
    rng: random.Random,
    *,
    slug: str = PRODUCT_SLUG,
    name: str = "Checkout platform",
):
    priya, sam, dana, marco = (
        demo["product.manager"],
        demo["stakeholder"],
        demo["dana.kim"],
        demo["project.manager"],
    )
    # What products.services.product_create does, with the asset's past: registered 400 days
    # ago, then handed over three times before the product manager took it.
    chain = [sam, dana, marco, priya]
    start = timezone.now() - timedelta(days=400)
    asset = Asset.objects.create(
        kind=AssetKind.PRODUCT,
        name=name,
        slug=slug,
        owner=priya,
        deputy=sam,
        team="Shop",
        description="Basket, checkout and payment of the web shop and the apps.",
        confirmed_at=timezone.now() - timedelta(days=3),
        created_at=start,
    )
    Handover.objects.bulk_create(
        [Handover(asset=asset, to_owner=sam, by=sam, reason="Registered", at=start)]
        + [
            Handover(
                asset=asset,
                from_owner=chain[n],
                to_owner=chain[n + 1],
                by=chain[n],
                reason=f"Reorganisation step {n + 1}: the checkout moves closer to the shop team.",
                at=start + timedelta(days=90 * (n + 1)),
            )
            for n in range(len(chain) - 1)
        ]
    )
    product = Product.objects.create(
        asset=asset,
        kind="customer_app",
        stage="growth",
        positioning="The checkout that never loses a basket.",
        vision="Every order placed in under a minute, on any device.",
        strategy="Fewer steps first, then more ways to pay.",
        updated_by=priya,
    )
    kpis = [
        product_services.kpi_create(
            product=product,
            by=priya,
            name=name,
            unit=unit,
            baseline=Decimal(baseline),
            target_value=Decimal(target),
            direction=direction,
        )
        for name, unit, baseline, target, direction in [
            ("Checkout conversion", "%", "61.5", "68", "up"),
            ("Time to order", "s", "94", "60", "down"),
            ("Payment failures", "%", "3.2", "1.5", "down"),
        ]
    ]
    for title, category, probability, impact in [
        ("Card scheme rules change in spring", "legal", 3, 5),
        ("A payment outage on Black Friday", "reputational", 2, 5),
        ("Wallet fees eat the margin", "business", 3, 3),
        ("Strong customer authentication drops conversion", "business", 4, 4),
    ]:
        product_services.risk_create(
            product=product,
            by=priya,
            title=title,
            category=category,
            probability=probability,
            impact=impact,
            owner=priya,
            review_date=timezone.localdate() - timedelta(days=rng.choice([-20, 5])),
        )
    return product, kpis


def create_roadmap(
    product, kpis, priya: User, rng: random.Random, sizes: dict[str, int] = HORIZON_SIZES
) -> list[RoadmapItem]:
    """200 items (by default) with dense ranks per horizon, each with its "created" history row;
    one in 25 was re-prioritised this week (a second version and an "edited" row), for the
    sync's agenda."""
    created = timezone.now() - timedelta(days=60)
    items = []
    n = 0
    for horizon, size in sizes.items():
        for rank in range(size):
            status = {
                Horizon.NOW: rng.choice([Status.IN_PROGRESS, Status.PLANNED, Status.SHIPPED]),
                Horizon.NEXT: rng.choice([Status.PLANNED, Status.IDEA]),
                Horizon.LATER: Status.IDEA,
            }[horizon]
            items.append(
                RoadmapItem(
                    product=product,
                    title=title_for(n),
                    status=status,
                    horizon=horizon,
                    rank=rank,
                    kpi=kpis[n % len(kpis)] if n % 5 else None,
                    problem="Customers abandon the basket at this step; support hears about it "
                    "every day.",
                    audience="Shoppers on phones, returning customers.",
                    reach=rng.choice([800, 4_000, 12_000, 45_000, 250_000, 1_200_000]),
                    impact=rng.choice(IMPACT_VALUES),
                    confidence=rng.choice(Confidence.values),
                    effort=Decimal(rng.choice(["0.5", "1", "2", "3.5", "6"])),
                    ice_impact=rng.randint(1, 10),
                    ice_confidence=rng.randint(1, 10),
                    ice_ease=rng.randint(1, 10),
                    updated_by=priya,
                    created_at=created,
                )
            )
            n += 1
    items = RoadmapItem.objects.bulk_create(items, batch_size=1000)
    RoadmapItemChange.objects.bulk_create(
        [
            RoadmapItemChange(item=i, by=priya, at=created, action=ChangeAction.CREATED, version=1)
            for i in items
        ],
        batch_size=1000,
    )
    recent = timezone.now() - timedelta(days=2)
    edited = items[5::25]
    for item in edited:
        old = item.reach
        item.reach = old * 2
        item.version = 2
    RoadmapItem.objects.bulk_update(edited, ["reach", "version"])
    RoadmapItemChange.objects.bulk_create(
        [
            RoadmapItemChange(
                item=i,
                by=priya,
                at=recent,
                action=ChangeAction.EDITED,
                version=2,
                changes=[
                    {
                        "field": "reach",
                        "label": "Reach",
                        "old": str(i.reach // 2),
                        "new": str(i.reach),
                    }
                ],
            )
            for i in edited
        ]
    )
    return list(RoadmapItem.objects.filter(product=product).order_by("horizon", "rank"))


def create_project(
    product,
    items,
    demo: dict[str, User],
    rng: random.Random,
    *,
    slug: str = PROJECT_SLUG,
    name: str = "Checkout rebuild",
    deliverables: int = DELIVERABLES,
):
    """300 deliverables by default (all but 10 before the baseline, 10 added this week), 40
    milestones in a chain, cost lines, risks and change requests."""
    priya, marco, sam = demo["product.manager"], demo["project.manager"], demo["stakeholder"]
    today = timezone.localdate()
    start = today - timedelta(days=90)
    project = project_services.project_create(
        by=marco,
        name=name,
        slug=slug,
        manager=marco,
        product=product,
        start_date=start,
        deadline=today + timedelta(days=150),
        budget=Decimal("750000"),
        statement_of_work="Rebuild basket, checkout and payment on the new platform.",
        benefits="Higher conversion; one checkout for web and apps.",
        outcomes="Checkout conversion at 68%; time to order under a minute.",
    )
    linked = [i for i in items if i.horizon != Horizon.LATER] + [
        i for i in items if i.horizon == Horizon.LATER
    ][:20]

    def deliverable(n: int, created) -> Deliverable:
        moscow = [Moscow.MUST, Moscow.MUST, Moscow.SHOULD, Moscow.COULD, Moscow.WONT][n % 5]
        in_scope = moscow != Moscow.WONT and n % 17 != 0
        due = start + timedelta(days=10 + (n * 230) // deliverables)
        done = in_scope and due < today - timedelta(days=5) and n % 7 != 0
        status = (
            DeliverableStatus.DONE
            if done
            else rng.choice([DeliverableStatus.PLANNED, DeliverableStatus.IN_PROGRESS])
        )
        if status != DeliverableStatus.DONE and n % 41 == 0:
            status = DeliverableStatus.BLOCKED
        return Deliverable(
            project=project,
            title=f"{title_for(n)}: {['API', 'screens', 'tests', 'rollout'][n % 4]}",
            description="Built, tested on the staging shop, and switched on for 10% of traffic."
            if n % 3
            else "",
            status=status,
            estimate_days=Decimal(rng.choice(["2", "3.5", "5", "8", "13"])),
            start_date=due - timedelta(days=10),
            due_date=due,
            done_on=due if status == DeliverableStatus.DONE else None,
            moscow=moscow,
            in_scope=in_scope,
            roadmap_item=linked[n % len(linked)] if n % 9 else None,
            updated_by=marco,
            created_at=created,
            updated_at=created,
        )

    before = timezone.now() - timedelta(days=60)
    Deliverable.objects.bulk_create(
        [deliverable(n, before) for n in range(deliverables - 10)], batch_size=1000
    )
    milestones = Milestone.objects.bulk_create(
        [
            Milestone(
                project=project,
                title=f"Milestone {n + 1}: {NOUNS[n % len(NOUNS)]} live",
                due_date=start + timedelta(days=5 * (n + 1)),
                done_on=start + timedelta(days=5 * (n + 1))
                if start + timedelta(days=5 * (n + 1)) < today - timedelta(days=3) and n % 9
                else None,
                updated_by=marco,
            )
            for n in range(MILESTONES)
        ]
    )
    MilestoneDependency.objects.bulk_create(
        [
            MilestoneDependency(predecessor=milestones[n - 1], successor=milestones[n])
            for n in range(1, MILESTONES)
        ]
    )
    CostLine.objects.bulk_create(
        [
            CostLine(
                project=project,
                category=CostCategory.values[n % len(CostCategory.values)],
                description=f"{['Developers', 'Payment provider', 'Licences', 'Cloud'][n % 4]}, "
                f"month {n // 4 + 1}",
                planned=Decimal(15000 + 1000 * (n % 5)),
                actual=Decimal(16000 + 900 * (n % 4))
                if start + timedelta(days=30 * (n // 4)) < today
                else None,
                date=start + timedelta(days=30 * (n // 4)),
                updated_by=marco,
            )
            for n in range(32)
        ]
    )
    # updated_at is auto_now: bulk_create stamped every row with the present moment, as if
    # the whole scope had been edited this week.
    Deliverable.objects.filter(project=project).update(updated_at=before)
    project_services.project_approve(
        project_id=project.pk, by=priya, at=timezone.now() - timedelta(days=59)
    )
    recent = timezone.now() - timedelta(days=1)
    Deliverable.objects.bulk_create(
        [deliverable(n, recent) for n in range(deliverables - 10, deliverables)]
    )
    project.refresh_from_db()
    for n in range(12):
        project_services.risk_create(
            project=project,
            by=marco,
            title=f"Payment provider migration slips ({n + 1})",
            category=RiskCategory.values[n % len(RiskCategory.values)],
            probability=1 + n % 5,
            impact=1 + (n * 3) % 5,
            owner=[marco, priya, sam][n % 3],
            review_date=today + timedelta(days=(n % 4) * 10 - 12),
            mitigation="Weekly check with the vendor; a fallback provider contracted.",
        )
    requests = [
        project_services.change_request_create(
            project_id=project.pk,
            by=priya,
            title=title,
            description="Add it to the first release.",
            why="Customers ask for it in every survey; competitors have it.",
            roadmap_item=items[n],
        )
        for n, title in enumerate(
            ["Apple Pay at launch", "Saved baskets across devices", "Invoice payment for B2B"]
        )
    ]
    # Each option says what it does to the request's roadmap item, as the demo's do.
    for title, days, amount, effect, horizon in [
        ("Keep the plan, put it in the next release", 0, "0", ItemEffect.DEFER, Horizon.NEXT),
        ("Add a team for six weeks and move the deadline", 21, "60000", ItemEffect.BRING_IN, ""),
    ]:
        project_services.change_option_create(
            request_id=requests[0].pk,
            by=marco,
            title=title,
            deadline_days=days,
            budget_amount=Decimal(amount),
            items=[project_services.OptionItem(item=items[0], effect=effect, horizon=horizon)],
        )
    return project


def create_sync(project, demo: dict[str, User]) -> SyncMeeting:
    """Last week's meeting (notes, decisions, action items) and this week's, prepared."""
    priya, marco = demo["product.manager"], demo["project.manager"]
    sync_services.series_ensure_for_active_projects()
    series = SyncSeries.objects.get(
        product_manager=project.product.asset.owner_id, project_manager=project.manager_id
    )
    now = timezone.now()
    this_week, _ = series.next_start(now)
    last_week = this_week - timedelta(days=7)
    past = sync_services.meeting_prepare(
        series_id=series.pk, week_start=last_week, today=(now - timedelta(days=7)).date()
    )
    for entry in past.entries.all()[:10]:
        sync_services.entry_mark(entry_id=entry.pk, discussed=True, by=marco)
    past.notes = "Status: payments API done; screens 60%.\nBacklog: Apple Pay asked for launch."
    past.notes_version = 2
    past.notes_updated_by = priya
    past.save(update_fields=["notes", "notes_version", "notes_updated_by"])
    for n in range(6):
        Decision.objects.create(
            meeting=past, made_by=[priya, marco][n % 2], text=f"Decision {n + 1}: keep the plan."
        )
    for n in range(8):
        ActionItem.objects.create(
            meeting=past,
            owner=[priya, marco][n % 2],
            created_by=marco,
            text=f"Follow up on item {n + 1} of last week's agenda",
            due_date=last_week + timedelta(days=3 + n % 3),
        )
    return sync_services.meeting_prepare(series_id=series.pk, week_start=this_week)


def create_registry(
    crowd: list[User], rng: random.Random, count: int = ASSETS, first: int = 0
) -> None:
    """1,000 assets by default (numbered from `first`), with their registration in the handover
    log."""
    now = timezone.now()
    assets = []
    for n in range(first, first + count):
        kind = AssetKind.SYSTEM if n % 2 else AssetKind.PROCESS
        words = SYSTEM_WORDS if kind == AssetKind.SYSTEM else PROCESS_WORDS
        owner = crowd[n % len(crowd)]
        deputy = crowd[(n + 7) % len(crowd)] if n % 3 else None
        name = f"{words[n % len(words)]} {kind.label.lower()} {n + 1:04d}"  # unique per kind
        assets.append(
            Asset(
                kind=kind,
                name=name,
                slug=f"bench-{kind}-{n + 1:04d}",  # 4 digits or more: unique
                description=f"{name}: what it does and who relies on it.",
                owner=owner,
                deputy=deputy,
                team=["Shop", "Finance", "Platform", "People"][n % 4],
                confirmed_at=None if n % 11 == 0 else now - timedelta(days=rng.randint(1, 200)),
                created_at=now - timedelta(days=300),
            )
        )
    assets = Asset.objects.bulk_create(assets, batch_size=2000)
    Handover.objects.bulk_create(
        [
            Handover(asset=a, to_owner_id=a.owner_id, by_id=a.owner_id, reason="Registered")
            for a in assets
        ],
        batch_size=2000,
    )


@transaction.atomic
def seed_large() -> LargeData:
    rng = random.Random(7)  # the same data set in every run
    demo = {
        u.username: u
        for u in User.objects.filter(
            username__in=["product.manager", "project.manager", "stakeholder", "dana.kim"]
        )
    }
    crowd = people(demo)
    product, kpis = create_product(demo, rng)
    items = create_roadmap(product, kpis, demo["product.manager"], rng)
    project = create_project(product, items, demo, rng)
    meeting = create_sync(project, demo)
    create_registry(crowd, rng)
    # The in-place edit: one item per load-generator thread, each in the later column.
    later = [i.pk for i in items if i.horizon == Horizon.LATER]
    return LargeData(
        product_slug=PRODUCT_SLUG,
        project_slug=PROJECT_SLUG,
        meeting_id=meeting.pk,
        asset_slug=product.asset.slug,
        edit_item_ids=later[:8],
    )


# Scale rows (issue 14): the same pages at larger sizes, seeded after the large data set has
# been measured (the registry's 49,000 more assets would change every page that counts them).
SCALE_ROADMAPS = {1000: "bench-roadmap-1000", 5000: "bench-roadmap-5000"}
SCALE_PROJECT_SLUG = "bench-project-2000"
SCALE_DELIVERABLES = 2000
SCALE_ASSETS = 50_000


@dataclass
class ScaleData:
    roadmaps: dict[int, str]  # items on the roadmap -> the product's slug
    project_slug: str
    project_product_slug: str
    assets: int


@transaction.atomic
def seed_scale() -> ScaleData:
    rng = random.Random(11)
    demo = {
        u.username: u
        for u in User.objects.filter(
            username__in=["product.manager", "project.manager", "stakeholder", "dana.kim"]
        )
    }
    crowd = list(User.objects.filter(username__startswith="bench.person").order_by("username"))
    items_of = {}
    for size, slug in SCALE_ROADMAPS.items():
        product, kpis = create_product(
            demo, rng, slug=slug, name=f"Checkout platform, {size:,} items"
        )
        sizes = {h: size * n // ITEMS for h, n in HORIZON_SIZES.items()}
        items_of[size] = create_roadmap(product, kpis, demo["product.manager"], rng, sizes)
    smallest = min(SCALE_ROADMAPS)
    create_project(
        items_of[smallest][0].product,
        items_of[smallest],
        demo,
        rng,
        slug=SCALE_PROJECT_SLUG,
        name=f"Checkout rebuild, {SCALE_DELIVERABLES:,} deliverables",
        deliverables=SCALE_DELIVERABLES,
    )
    more = max(0, SCALE_ASSETS - Asset.objects.count())
    create_registry(crowd, rng, count=more, first=ASSETS)
    return ScaleData(
        roadmaps=dict(SCALE_ROADMAPS),
        project_slug=SCALE_PROJECT_SLUG,
        project_product_slug=SCALE_ROADMAPS[smallest],
        assets=Asset.objects.count(),
    )

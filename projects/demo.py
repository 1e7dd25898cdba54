"""Demo data for the project side: DESIGN.md's Black Friday replacement and the CRM projects.

Idempotent: a project is looked up by its slug and, when it exists, left exactly as it is; its
dates are computed once, when it is created, relative to that day. The Black Friday project ends
on the Monday before the next Black Friday (this year's while that Monday is still ahead) and
runs four months; work due before the seed day is done (a few items on purpose not), costs
before it are spent. Baselines and decisions go through the services, as in the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from products.models import Horizon, Kpi, Product, RoadmapItem
from projects import services
from projects.models import (
    CostLine,
    Deliverable,
    DeliverableDependency,
    DeliverableStatus,
    ItemEffect,
    Milestone,
    MilestoneDependency,
    Project,
    ProjectRisk,
    ProjectStatus,
)
from roleplan.ownership.demo import DemoUsers
from roleplan.ownership.models import Asset

EMAIL = "email-marketing-platform"
CRM = "crm"


def black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 22)


def black_friday_deadline(today: date) -> date:
    """The Monday before Black Friday: this year's while it is still ahead, else next year's."""
    deadline = black_friday(today.year) - timedelta(days=4)
    if deadline < today:
        deadline = black_friday(today.year + 1) - timedelta(days=4)
    return deadline


def history_start(start: date, today: date) -> date:
    """Where a demo project's recorded history (its approval, the change requests decided on
    it) begins: its start when that is two months back or more; else two months before the
    seed day. Seeded between one Black Friday and the start of the next year's project, the
    project lies ahead, and its approval and decisions happen while it is planned, never on a
    day that has not come yet."""
    return min(start, today - timedelta(days=60))


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@dataclass
class Plan:
    """A project's plan relative to its start (offsets in days)."""

    name: str
    slug: str
    product: str | None
    manager: str
    start: date
    deadline: date
    budget: str
    methodology: str
    statement_of_work: str
    benefits: str
    outcomes: str
    # title, roadmap item title, MoSCoW, estimate, start offset, due offset, late on purpose
    deliverables: list[tuple] = field(default_factory=list)
    # title, due offset, depends on (titles), description
    milestones: list[tuple] = field(default_factory=list)
    # category, description, planned, actual ratio (None: not spent yet), date offset
    costs: list[tuple] = field(default_factory=list)
    # title, category, probability, impact, owner, mitigation, review offset from today, status
    risks: list[tuple] = field(default_factory=list)
    approve: bool = True
    ask_approval: bool = False  # not approved yet: the project manager asked the product's owner
    status: str = ProjectStatus.ACTIVE
    editors: list[str] = field(default_factory=list)
    # finish-to-start between deliverables: predecessor title, successor title, lag in days
    links: list[tuple] = field(default_factory=list)
    # deliverable title: (group, owner's username or None)
    groups: dict[str, tuple[str, str | None]] = field(default_factory=dict)


def _deliverables(
    project: Project, plan: Plan, items: dict[str, RoadmapItem], users: DemoUsers, today: date
):
    made = {}
    for title, item, moscow, estimate, start, due, late in plan.deliverables:
        first, last = plan.start + timedelta(days=start), plan.start + timedelta(days=due)
        if moscow == "wont":
            status, done_on = DeliverableStatus.PLANNED, None
        elif last < today and not late:
            status, done_on = DeliverableStatus.DONE, last
        elif first <= today:
            status, done_on = DeliverableStatus.IN_PROGRESS, None
        else:
            status, done_on = DeliverableStatus.PLANNED, None
        made[title] = Deliverable.objects.create(
            project=project,
            title=title,
            roadmap_item=items.get(item) if item else None,
            moscow=moscow,
            in_scope=moscow != "wont",
            estimate_days=Decimal(estimate),
            start_date=first,
            due_date=last,
            status=status,
            done_on=done_on,
            group=plan.groups.get(title, ("", None))[0],
            owner=users[owner] if (owner := plan.groups.get(title, ("", None))[1]) else None,
            updated_by=project.manager,
        )
    DeliverableDependency.objects.bulk_create(
        DeliverableDependency(predecessor=made[before], successor=made[after], lag_days=lag)
        for before, after, lag in plan.links
    )
    return made


def _milestones(project: Project, plan: Plan, today: date) -> dict[str, Milestone]:
    made: dict[str, Milestone] = {}
    for title, due, _after, description in plan.milestones:
        day = plan.start + timedelta(days=due)
        made[title] = Milestone.objects.create(
            project=project,
            title=title,
            due_date=day,
            done_on=day if day < today else None,
            description=description,
            updated_by=project.manager,
        )
    MilestoneDependency.objects.bulk_create(
        MilestoneDependency(predecessor=made[before], successor=made[title])
        for title, _due, after, _description in plan.milestones
        for before in after
    )
    return made


def _costs(project: Project, plan: Plan, today: date) -> None:
    for category, description, planned, ratio, offset in plan.costs:
        day = plan.start + timedelta(days=offset)
        amount = Decimal(planned)
        actual = None
        if ratio is not None and day <= today:
            actual = (amount * Decimal(ratio)).quantize(Decimal("1"))
        CostLine.objects.create(
            project=project,
            category=category,
            description=description,
            planned=amount,
            actual=actual,
            date=day,
            updated_by=project.manager,
        )


def _risks(project: Project, plan: Plan, users: DemoUsers, today: date) -> None:
    for number, (
        title,
        category,
        probability,
        impact,
        owner,
        mitigation,
        review,
        status,
    ) in enumerate(plan.risks, start=1):
        ProjectRisk.objects.create(
            project=project,
            number=number,
            title=title,
            category=category,
            probability=probability,
            impact=impact,
            owner=users[owner],
            mitigation=mitigation,
            review_date=today + timedelta(days=review),
            status=status,
            updated_by=project.manager,
        )


def _create(plan: Plan, users: DemoUsers, products: dict[str, Product], today: date):
    product = products.get(plan.product) if plan.product else None
    items = (
        {item.title: item for item in RoadmapItem.objects.filter(product=product)}
        if product
        else {}
    )
    project = services.project_create(
        by=users[plan.manager],
        name=plan.name,
        slug=plan.slug,
        product=product,
        manager=users[plan.manager],
        start_date=plan.start,
        deadline=plan.deadline,
        budget=Decimal(plan.budget),
        methodology=plan.methodology,
        statement_of_work=plan.statement_of_work,
        benefits=plan.benefits,
        outcomes=plan.outcomes,
        editors=[users[name] for name in plan.editors],
    )
    deliverables = _deliverables(project, plan, items, users, today)
    _milestones(project, plan, today)
    _costs(project, plan, today)
    _risks(project, plan, users, today)
    if plan.approve:
        approver = product.asset.owner if product else users[plan.manager]
        services.project_approve(
            project_id=project.pk,
            by=approver,
            at=at(history_start(plan.start, today) - timedelta(days=3)),
        )
        if plan.status != ProjectStatus.ACTIVE:
            Project.objects.filter(pk=project.pk).update(status=plan.status)
    elif plan.ask_approval:
        services.approval_request(
            project_id=project.pk,
            by=users[plan.manager],
            note="The routing rules are a Should: we can drop them if the budget is tight.",
            at=at(today - timedelta(days=1)),
        )
    project.refresh_from_db()
    return project, deliverables, items


def black_friday_plan(today: date) -> Plan:
    deadline = black_friday_deadline(today)
    start = deadline - timedelta(weeks=17)
    return Plan(
        name="Replace legacy email system before Black Friday",
        slug="replace-legacy-email-system",
        product=EMAIL,
        manager="project.manager",
        start=start,
        deadline=deadline,
        budget="180000",
        methodology="hybrid",
        statement_of_work=(
            "Move every live campaign, list and automation from the legacy email system to the "
            "new platform, with consent, and switch the legacy system off.\n\n"
            "- **In scope:** migration, abandoned-cart journeys, the segment builder, peak "
            "capacity.\n"
            "- **Out of scope:** SMS, predictive send times."
        ),
        benefits=(
            "No more peak-day outages of a system nobody supports; licence savings of "
            "40,000 EUR a year once the legacy system is off."
        ),
        outcomes=(
            "Black Friday campaigns go out from the new platform at 2 million emails an hour; "
            "repurchase rate +6% within three months of launch."
        ),
        deliverables=[
            ("Vendor onboarding and SSO", None, "must", "5", 0, 10, False),
            (
                "Lists and consent migrated",
                "Migrate live campaigns and lists from the legacy system",
                "must",
                "15",
                7,
                45,
                False,
            ),
            (
                "Templates and automations migrated",
                "Migrate live campaigns and lists from the legacy system",
                "must",
                "20",
                30,
                84,
                True,
            ),
            (
                "Abandoned-cart journeys (Feature ABC)",
                "Abandoned-cart journeys (Feature ABC)",
                "must",
                "18",
                42,
                98,
                False,
            ),
            (
                "Segment builder on purchase history",
                "Segment builder on purchase history",
                "should",
                "12",
                56,
                105,
                False,
            ),
            (
                "Load test at 2 million emails an hour",
                "Black Friday send capacity: 2 million emails an hour",
                "must",
                "6",
                91,
                112,
                True,
            ),
            ("Marketing team trained", None, "should", "4", 100, 116, False),
            (
                "Send-time optimisation",
                "Predictive send-time optimisation",
                "wont",
                "10",
                0,
                0,
                False,
            ),
        ],
        links=[
            ("Vendor onboarding and SSO", "Abandoned-cart journeys (Feature ABC)", 0),
            # Overlapping on purpose: the templates start while the lists are still moving.
            ("Lists and consent migrated", "Templates and automations migrated", 0),
            ("Lists and consent migrated", "Segment builder on purchase history", 2),
            ("Templates and automations migrated", "Load test at 2 million emails an hour", 0),
            ("Abandoned-cart journeys (Feature ABC)", "Marketing team trained", 0),
        ],
        groups={
            "Vendor onboarding and SSO": ("Set-up", "project.manager"),
            "Lists and consent migrated": ("Migration", "dana.kim"),
            "Templates and automations migrated": ("Migration", "dana.kim"),
            "Abandoned-cart journeys (Feature ABC)": ("Journeys and segments", "project.manager"),
            "Segment builder on purchase history": ("Journeys and segments", None),
            "Load test at 2 million emails an hour": ("Go-live", "project.manager"),
            "Marketing team trained": ("Go-live", None),
        },
        milestones=[
            ("Vendor contract signed", 3, [], "Licence and data-processing agreement signed."),
            (
                "Data migration rehearsal",
                56,
                ["Vendor contract signed"],
                "Full copy, counts checked.",
            ),
            ("Peak capacity proven", 112, ["Data migration rehearsal"], "Load test signed off."),
            (
                "Campaigns live on the new platform",
                119,
                ["Peak capacity proven"],
                "First campaign from the new platform; legacy sends frozen.",
            ),
            (
                "Legacy system switched off",
                126,
                ["Campaigns live on the new platform"],
                "After Black Friday weekend, once nothing sends from it.",
            ),
        ],
        costs=[
            ("licences", "Email platform licence, first year", "48000", "1", 3),
            ("vendor", "Implementation partner, migration", "52000", "1.08", 40),
            ("vendor", "Implementation partner, journeys and segments", "30000", "1", 90),
            ("labour", "Internal team, months 1–2", "18000", "1", 55),
            ("labour", "Internal team, months 3–4", "18000", None, 115),
            ("infrastructure", "Dedicated sending IPs and warm-up", "6000", "1.15", 60),
        ],
        risks=[
            (
                "Deliverability drops on new sending IPs",
                "technical",
                3,
                5,
                "project.manager",
                "Warm up the IPs from week 8; keep the legacy system as fallback for one week.",
                -3,
                "mitigating",
            ),
            (
                "Consent records incomplete in the legacy export",
                "technical",
                2,
                5,
                "product.manager",
                "Reconcile counts per list; re-permission campaign for gaps.",
                10,
                "open",
            ),
            (
                "Implementation partner capacity in November",
                "vendor",
                3,
                4,
                "project.manager",
                "Named engineers in the contract; backup partner on call.",
                5,
                "open",
            ),
            (
                "Marketing team busy with Black Friday planning",
                "resource",
                4,
                2,
                "stakeholder",
                "Training in two short sessions, recorded.",
                14,
                "open",
            ),
            (
                "Migration overruns the partner budget",
                "budget",
                3,
                3,
                "project.manager",
                "Weekly burn review; fixed price for the journeys work.",
                -10,
                "open",
            ),
            (
                "Go-live slips past the change freeze",
                "schedule",
                2,
                5,
                "project.manager",
                "Go/no-go one week before; rollback plan rehearsed.",
                7,
                "open",
            ),
            (
                "Legacy vendor refuses data export",
                "vendor",
                1,
                5,
                "project.manager",
                "",
                30,
                "closed",
            ),
        ],
    )


def _black_friday_changes(project: Project, deliverables, items, users: DemoUsers, today: date):
    pm, marco = users["product.manager"], users["project.manager"]
    kpi = Kpi.objects.filter(product=project.product, name="Repurchase rate").first()
    start = project.start_date
    decided = history_start(start, today)  # when the decided requests were asked and answered

    # CR-1, decided early: consent import, more partner days. Baseline 2.
    first = services.change_request_create(
        project_id=project.pk,
        by=pm,
        title="Import consent from the shop's account settings",
        description="Customers who opted in on their account page must arrive with consent.",
        why="Legal: without it those customers cannot be emailed after the switch.",
        value="About 80,000 reachable customers kept.",
        roadmap_item=items.get("Migrate live campaigns and lists from the legacy system"),
        at=at(decided + timedelta(days=20)),
    )
    migrate = items.get("Migrate live campaigns and lists from the legacy system")
    option = services.change_option_create(
        request_id=first.pk,
        by=marco,
        title="Partner builds the import",
        scope_impact="One more deliverable; no change to dates.",
        items=[
            services.OptionItem(
                item=migrate,
                effect=ItemEffect.BRING_IN,
                adds="Consent import from account settings",
            )
        ]
        if migrate
        else [],
        adds="" if migrate else "Consent import from account settings",
        budget_amount=Decimal("8000"),
        at=at(decided + timedelta(days=22)),
    )
    services.change_request_decide(
        request_id=first.pk,
        by=pm,
        option_id=option.pk,
        rationale="Not optional: consent is a legal requirement. Worth 8,000 EUR.",
        at=at(decided + timedelta(days=24)),
    )
    added = Deliverable.objects.get(project=project, title="Consent import from account settings")
    added_due = start + timedelta(days=60)
    Deliverable.objects.filter(pk=added.pk).update(
        start_date=start + timedelta(days=25),
        due_date=added_due,
        estimate_days=Decimal("6"),
        status=(
            DeliverableStatus.DONE
            if added_due < today
            else DeliverableStatus.IN_PROGRESS
            if start + timedelta(days=25) <= today
            else DeliverableStatus.PLANNED
        ),
        done_on=added_due if added_due < today else None,
    )

    # CR-2, rejected: a redesign that would not fit before the peak.
    second = services.change_request_create(
        project_id=project.pk,
        by=pm,
        title="Redesign all email templates to the new brand",
        description="Move every template to the brand refresh before launch.",
        why="The brand refresh launches in spring; one redesign instead of two.",
        at=at(decided + timedelta(days=50)),
    )
    option = services.change_option_create(
        request_id=second.pk,
        by=marco,
        title="Redesign in the project",
        adds="Templates redesigned to the new brand",
        deadline_days=21,
        budget_amount=Decimal("15000"),
        at=at(decided + timedelta(days=52)),
    )
    services.change_request_decide(
        request_id=second.pk,
        by=pm,
        option_id=None,
        rationale="Three weeks late means after Black Friday. The redesign waits for spring.",
        at=at(decided + timedelta(days=54)),
    )

    # CR-3, open: Feature XYZ on top of Feature ABC, with the three options of DESIGN.md.
    asked = min(today, project.deadline) - timedelta(days=4)
    third = services.change_request_create(
        project_id=project.pk,
        by=pm,
        title="Add personalised recommendations (Feature XYZ) on top of abandoned carts",
        description=(
            "Put personalised product recommendations (Feature XYZ) into the post-purchase "
            "emails, on top of the abandoned-cart journeys (Feature ABC) already in scope."
        ),
        why=(
            "The repurchase-rate target (+6% within three months) needs a reason to come back "
            "after the first order; abandoned carts alone bring back shoppers who never bought."
        ),
        value="Expected +2 points of repurchase rate among customers who get recommendations.",
        roadmap_item=items.get("Personalised product recommendations (Feature XYZ)"),
        kpi=kpi,
        at=at(asked),
    )
    abc = deliverables["Abandoned-cart journeys (Feature ABC)"]
    abc_item = items.get("Abandoned-cart journeys (Feature ABC)")
    xyz_item = items.get("Personalised product recommendations (Feature XYZ)")
    xyz_title = "Personalised recommendations in post-purchase emails (Feature XYZ)"

    def effects(*rows: tuple) -> list[services.OptionItem]:
        return [
            services.OptionItem(item=item, effect=effect, horizon=horizon, adds=adds)
            for item, effect, horizon, adds in rows
            if item is not None
        ]

    for title, data in (
        (
            "Keep ABC, backlog XYZ",
            {
                "description": "Ship the abandoned-cart journeys as planned; recommendations "
                "go to the backlog for a later quarter.",
                "scope_impact": "XYZ goes back to the product backlog (**Later**); nothing else "
                "changes.",
                "items": effects((xyz_item, ItemEffect.DEFER, Horizon.LATER, "")),
            },
        ),
        (
            "Add budget and move the deadline",
            {
                "description": "A second partner team builds recommendations; go-live moves "
                "two weeks, past the Black Friday weekend.",
                "items": effects((xyz_item, ItemEffect.BRING_IN, "", xyz_title)),
                "deadline_days": 14,
                "budget_amount": Decimal("24000"),
                "scope_impact": "Both features; Black Friday runs on the legacy system.",
            },
        ),
        (
            "A simpler ABC so that XYZ fits",
            {
                "description": "One abandoned-cart email instead of a three-step journey; "
                "the days saved build a first version of recommendations.",
                "items": effects(
                    (abc_item, ItemEffect.SIMPLIFY, "", "Abandoned-cart reminder, single email"),
                    (xyz_item, ItemEffect.BRING_IN, "", xyz_title),
                ),
                "descopes": [abc],
                "budget_amount": Decimal("6000"),
                "scope_impact": "ABC loses its 24-hour step and A/B test; XYZ starts simple.",
            },
        ),
    ):
        services.change_option_create(
            request_id=third.pk, by=marco, title=title, at=at(asked + timedelta(days=1)), **data
        )
    return third


def crm_plans(today: date) -> list[Plan]:
    def ago(days: int) -> date:
        return today - timedelta(days=days)

    return [
        Plan(
            name="CRM MVP",
            slug="crm-mvp",
            product=CRM,
            manager="project.manager",
            start=ago(330),
            deadline=ago(150),
            budget="240000",
            methodology="scrum",
            statement_of_work="Contacts, deals and the pipeline board for the first ten customers.",
            benefits="A product to sell to small sales teams.",
            outcomes="Ten paying teams use the CRM daily.",
            deliverables=[
                ("Contacts and companies", None, "must", "30", 0, 60, False),
                ("Deals and pipeline board", None, "must", "40", 40, 120, False),
                ("Billing and trial accounts", None, "must", "20", 100, 170, False),
            ],
            milestones=[
                ("First pilot customer", 90, [], ""),
                ("Ten paying teams", 178, ["First pilot customer"], ""),
            ],
            costs=[
                ("labour", "Product team", "180000", "1", 90),
                ("infrastructure", "Hosting, first year", "24000", "1", 30),
                ("vendor", "Design agency", "30000", "0.9", 60),
            ],
            risks=[("Pilot customers churn", "resource", 2, 3, "dana.kim", "", -100, "closed")],
            status=ProjectStatus.DONE,
        ),
        Plan(
            name="Audio and video calls",
            slug="crm-audio-video-calls",
            product=CRM,
            manager="project.manager",
            start=ago(60),
            deadline=ago(-75),
            budget="95000",
            methodology="scrum",
            statement_of_work="Call a contact from the deal page; calls logged on the deal.",
            benefits="Fewer tools for sales teams; calls become deal history.",
            outcomes="Half of the calls of active teams start from the CRM.",
            deliverables=[
                (
                    "WebRTC calling from the deal page",
                    "Audio and video calls from the deal page",
                    "must",
                    "25",
                    0,
                    55,
                    False,
                ),
                (
                    "Call log on the deal",
                    "Audio and video calls from the deal page",
                    "must",
                    "10",
                    30,
                    80,
                    False,
                ),
                (
                    "Video calls",
                    "Audio and video calls from the deal page",
                    "should",
                    "20",
                    60,
                    120,
                    False,
                ),
                ("Call recording", None, "could", "15", 90, 130, False),
            ],
            milestones=[
                ("Beta with three teams", 70, [], ""),
                ("General availability", 128, ["Beta with three teams"], ""),
            ],
            costs=[
                ("labour", "Product team", "70000", "1", 45),
                ("vendor", "TURN servers and telephony", "15000", "1.2", 20),
                ("licences", "Recording storage", "10000", None, 100),
            ],
            risks=[
                (
                    "Browser support for WebRTC on old Safari",
                    "technical",
                    3,
                    3,
                    "project.manager",
                    "Fallback to phone dial-out.",
                    12,
                    "open",
                ),
                ("Telephony vendor pricing changes", "vendor", 2, 3, "dana.kim", "", 30, "open"),
            ],
        ),
        Plan(
            name="Sales funnel analytics",
            slug="crm-sales-funnel-analytics",
            product=CRM,
            manager="project.manager",
            start=ago(70),
            deadline=ago(-20),
            budget="60000",
            methodology="kanban",
            statement_of_work="Funnel reports by stage, owner and source, with conversion over time.",
            benefits="Teams see where deals leak and fix the stage that loses most.",
            outcomes="Lead-to-deal conversion from 12% to 16% for teams using the reports.",
            deliverables=[
                (
                    "Events pipeline for stage changes",
                    "Sales funnel analytics",
                    "must",
                    "15",
                    0,
                    35,
                    False,
                ),
                ("Funnel report by stage", "Sales funnel analytics", "must", "12", 25, 60, True),
                ("Conversion over time", "Sales funnel analytics", "should", "10", 50, 95, False),
            ],
            milestones=[
                ("Data model frozen", 20, [], ""),
                ("Reports in beta", 100, ["Data model frozen"], "Due after the deadline: flagged."),
            ],
            costs=[
                ("labour", "Data engineers", "45000", "1.2", 30),
                ("infrastructure", "Analytics warehouse", "9000", "1", 10),
                ("labour", "Front-end work", "12000", None, 80),
            ],
            risks=[
                (
                    "Event history incomplete before last year",
                    "technical",
                    4,
                    4,
                    "project.manager",
                    "Report from last year only.",
                    -5,
                    "open",
                ),
            ],
        ),
        Plan(
            name="Website lead integration",
            slug="crm-website-lead-integration",
            product=CRM,
            manager="project.manager",
            start=ago(-14),
            deadline=ago(-110),
            budget="40000",
            methodology="kanban",
            statement_of_work="Leads from website forms arrive in the CRM within a minute.",
            benefits="Sales teams answer website leads while they are warm.",
            outcomes="Leads from customers' websites reach a rep within a minute.",
            deliverables=[
                (
                    "Form embed and webhook",
                    "Website lead capture integration",
                    "must",
                    "8",
                    0,
                    30,
                    False,
                ),
                (
                    "Lead routing rules",
                    "Website lead capture integration",
                    "should",
                    "6",
                    20,
                    60,
                    False,
                ),
            ],
            milestones=[("First lead from a customer site", 45, [], "")],
            costs=[("labour", "Integration work", "32000", None, 40)],
            risks=[],
            approve=False,
            ask_approval=True,
            status=ProjectStatus.PROPOSED,
        ),
        Plan(
            name="Client migration",
            slug="crm-client-migration",
            product=CRM,
            manager="dana.kim",
            start=ago(25),
            deadline=ago(-65),
            budget="55000",
            methodology="waterfall",
            statement_of_work="Move new clients' data from their old CRM, done for them.",
            benefits="Switching to the CRM stops being the reason deals are lost.",
            outcomes="Every new client migrated within two weeks of signing.",
            deliverables=[
                (
                    "Importers for the three most common CRMs",
                    "Client data migration service",
                    "must",
                    "20",
                    0,
                    40,
                    False,
                ),
                ("Migration runbook", "Client data migration service", "must", "5", 10, 30, False),
                ("Self-service import wizard", None, "could", "15", 40, 85, False),
            ],
            milestones=[
                ("First client migrated", 35, [], ""),
                ("Runbook handed to support", 60, ["First client migrated"], ""),
            ],
            costs=[
                ("labour", "Migration engineers", "40000", "1", 20),
                ("vendor", "API access to the old CRMs", "5000", "1", 5),
            ],
            risks=[
                (
                    "Old CRM APIs rate-limit exports",
                    "vendor",
                    3,
                    3,
                    "dana.kim",
                    "Export overnight.",
                    9,
                    "open",
                ),
            ],
            editors=["project.manager"],
        ),
    ]


def seed_projects(users: DemoUsers, assets: dict[str, Asset]) -> dict[str, Project]:
    """Create the demo projects once; an existing project is left as it is."""
    today = timezone.localdate()
    products = {
        slug: product
        for slug in (EMAIL, CRM)
        if (product := Product.objects.filter(asset__slug=slug).select_related("asset").first())
    }
    plans = [black_friday_plan(today), *crm_plans(today)]
    projects: dict[str, Project] = {}
    for plan in plans:
        existing = Project.objects.filter(slug=plan.slug).first()
        if existing is not None:
            projects[plan.slug] = existing
            continue
        if plan.product and plan.product not in products:
            continue  # the products demo has not run: nothing that depends on it
        project, deliverables, items = _create(plan, users, products, today)
        if plan.slug == "replace-legacy-email-system":
            _black_friday_changes(project, deliverables, items, users, today)
        projects[plan.slug] = project
    return projects

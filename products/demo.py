"""Demo data for the product side: DESIGN.md's email marketing platform and CRM.

Idempotent: products are found by their asset, KPIs, roadmap items and risks by name or title
within their product; dates are computed only when a row is first created. A second run
changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from products import services
from products.models import (
    Direction,
    Horizon,
    Hypothesis,
    HypothesisStatus,
    Kpi,
    KpiMeasurement,
    Product,
    ProductKind,
    ProductRisk,
    RiskCategory,
    RiskStatus,
    RoadmapItem,
    Scoring,
    Stage,
    Status,
    TargetKind,
)
from roleplan.ownership.demo import DemoUsers
from roleplan.ownership.models import Asset


def black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(days=22)


def next_launch(today: date) -> date:
    """The demo's launch: the Monday before the next Black Friday, the deadline of the
    replacement project in projects/demo.py (the same rule, so both sides tell one story)."""
    launch = black_friday(today.year) - timedelta(days=4)
    if launch < today:
        launch = black_friday(today.year + 1) - timedelta(days=4)
    return launch


PRODUCTS = {
    "email-marketing-platform": {
        "kind": ProductKind.COMPONENT,
        "stage": Stage.DEVELOPMENT,
        "positioning": (
            "The shop's own engine for **campaigns, segments and lifecycle emails**: it replaces "
            "the legacy email system, which cannot segment by purchase history and falls over "
            "at peak volume."
        ),
        "vision": (
            "Every customer gets the email that brings them back, at the moment they are ready "
            "to buy again.\n\nBy Black Friday the shop sends all campaigns from the new "
            "platform; three months later customers come back measurably more often."
        ),
        "strategy": (
            "1. **Replace before Black Friday**: migrate every live campaign and list, with "
            "consent, and retire the legacy system.\n"
            "2. **Lifecycle first**: abandoned-cart and post-purchase journeys move the "
            "repurchase rate more than newsletters do.\n"
            "3. **Personalise later**: recommendations once the data from the journeys is in."
        ),
        "target_audience": "The CRM marketing team (4 people) and, through them, the shop's "
        "1.2 million customers with marketing consent.",
        "needs": "- Segments on purchase history\n- Journeys triggered by shop events\n"
        "- 2 million emails an hour on peak days\n- Consent kept per customer",
        "editors": ["dana.kim"],
        # The product manager thinks in reach (customers emailed a quarter): RICE.
        "scoring": Scoring.RICE,
    },
    "crm": {
        "kind": ProductKind.SOLUTION,
        "stage": Stage.GROWTH,
        "positioning": "A CRM for small sales teams that lives where the deal is: contacts, "
        "calls and the funnel on one page.",
        "vision": "A sales team of five closes more deals with less admin than a team of eight "
        "without it.",
        "strategy": "- Win on **calls and follow-ups** inside the deal page\n"
        "- Bring leads in from the website without copy and paste\n"
        "- Make switching easy: migrate clients' data for them",
        "target_audience": "Sales teams of 3 to 30 people in B2B companies.",
        "needs": "- See every touchpoint of a deal\n- Call without leaving the CRM\n"
        "- Know where the funnel leaks",
        "editors": ["product.manager"],
        # A small team deciding fast, with few reliable reach figures: ICE.
        "scoring": Scoring.ICE,
    },
}

# name, unit, baseline, (target kind, stated target), direction, due ("3m": months after the
# product's launch, or days after the seed), measurements (days before the seed, value).
# DESIGN.md's KPI, "repurchase rate +6% within 3 months of launch", is +6 percentage points:
# from 18 % to 24 % (a relative +6 % of 18 % would be 19.1 %, not what the case means).
KPIS = {
    "email-marketing-platform": [
        (
            "Repurchase rate",
            "%",
            "18",
            (TargetKind.POINTS, "6"),
            Direction.UP,
            "3m",
            [(150, "17.8"), (120, "18.2"), (90, "17.9"), (60, "18.0"), (30, "18.4")],
        ),
        (
            "Unsubscribes per 1,000 emails",
            "",
            "6",
            (TargetKind.PERCENT, "-25"),
            Direction.DOWN,
            "3m",
            [(90, "6.2"), (60, "6.0"), (30, "5.7")],
        ),
    ],
    "crm": [
        (
            "Lead-to-deal conversion",
            "%",
            "12",
            (TargetKind.ABSOLUTE, "16"),
            Direction.UP,
            180,
            [(120, "11.5"), (90, "12.0"), (60, "12.8"), (30, "13.1")],
        ),
        (
            "Hours to first contact",
            " h",
            "26",
            (TargetKind.ABSOLUTE, "4"),
            Direction.DOWN,
            120,
            [(120, "26"), (90, "22"), (60, "18"), (30, "15")],
        ),
    ],
}

# title, horizon, status, kpi name, RICE (reach, impact, confidence, effort), ICE, PRD/HADI.
ITEMS = {
    "email-marketing-platform": [
        (
            "Migrate live campaigns and lists from the legacy system",
            Horizon.NOW,
            Status.IN_PROGRESS,
            None,
            (120000, "2.00", 100, "4"),
            (9, 9, 4),
            {
                "problem": "The legacy system cannot send at Black Friday volume and will be "
                "switched off.",
                "requirements": "Every live list, template and automation moved, with consent.",
                "success_metric": "Zero campaigns sent from the legacy system after launch.",
            },
        ),
        (
            "Abandoned-cart journeys (Feature ABC)",
            Horizon.NOW,
            Status.PLANNED,
            "Repurchase rate",
            (45000, "3.00", 80, "3"),
            (8, 7, 6),
            {
                "problem": "Shoppers who leave items in the cart rarely come back on their own.",
                "audience": "Signed-in customers with marketing consent.",
                "requirements": "Reminder after 2 hours and 24 hours; stop when they buy.",
                "success_metric": "Repurchase rate +2 points among reminded customers.",
            },
        ),
        (
            "Segment builder on purchase history",
            Horizon.NOW,
            Status.PLANNED,
            "Repurchase rate",
            (60000, "1.00", 80, "2"),
            (6, 8, 7),
            {},
        ),
        (
            "Black Friday send capacity: 2 million emails an hour",
            Horizon.NOW,
            Status.IN_PROGRESS,
            None,
            (1200000, "0.50", 80, "3"),
            (7, 6, 5),
            {},
        ),
        (
            "Personalised product recommendations (Feature XYZ)",
            Horizon.NEXT,
            Status.IDEA,
            "Repurchase rate",
            (80000, "2.00", 50, "5"),
            (8, 4, 3),
            {
                "problem": "Newsletters show everyone the same products.",
            },
        ),
        (
            "Post-purchase replenishment reminders",
            Horizon.NEXT,
            Status.IDEA,
            "Repurchase rate",
            (30000, "2.00", 80, "2"),
            (7, 6, 7),
            {},
        ),
        (
            "Preference centre and one-click unsubscribe",
            Horizon.NEXT,
            Status.PLANNED,
            "Unsubscribes per 1,000 emails",
            (200000, "0.50", 100, "1.5"),
            (5, 8, 8),
            {},
        ),
        (
            "A/B tests of subject lines",
            Horizon.LATER,
            Status.IDEA,
            None,
            (150000, "0.50", 80, "1"),
            (4, 7, 9),
            {},
        ),
        (
            "Predictive send-time optimisation",
            Horizon.LATER,
            Status.IDEA,
            "Repurchase rate",
            (150000, "0.25", 50, "4"),
            (4, 3, 3),
            {},
        ),
        (
            "SMS as a second channel",
            Horizon.LATER,
            Status.IDEA,
            None,
            (40000, "1.00", 50, "6"),
            (5, 4, 2),
            {},
        ),
    ],
    "crm": [
        (
            "Audio and video calls from the deal page",
            Horizon.NOW,
            Status.IN_PROGRESS,
            "Hours to first contact",
            (3000, "3.00", 80, "5"),
            (9, 7, 4),
            {"problem": "Reps leave the CRM to call and forget to log the call."},
        ),
        (
            "Website lead capture integration",
            Horizon.NOW,
            Status.PLANNED,
            "Hours to first contact",
            (5000, "2.00", 100, "2"),
            (8, 9, 7),
            {},
        ),
        (
            "Sales funnel analytics",
            Horizon.NEXT,
            Status.PLANNED,
            "Lead-to-deal conversion",
            (2500, "2.00", 80, "3"),
            (7, 7, 6),
            {},
        ),
        (
            "Client data migration service",
            Horizon.NEXT,
            Status.IDEA,
            None,
            (400, "3.00", 80, "4"),
            (6, 6, 4),
            {},
        ),
        (
            "Mobile app for field sales",
            Horizon.LATER,
            Status.IDEA,
            None,
            (1200, "1.00", 50, "8"),
            (6, 4, 2),
            {},
        ),
        (
            "Two-way email sync with Gmail and Outlook",
            Horizon.LATER,
            Status.IDEA,
            "Lead-to-deal conversion",
            (3500, "1.00", 80, "4"),
            (6, 6, 4),
            {},
        ),
    ],
}

# Hypotheses (HADI): belief, action, KPI name, metric, items (titles), status, insight. A
# concluded one is concluded through the service, so its items' confidence and history show it.
HYPOTHESES = {
    "email-marketing-platform": [
        (
            "We believe a reminder within two hours brings back one in ten abandoned carts.",
            "Send the 2-hour reminder to half of the abandoned carts for 4 weeks.",
            "Repurchase rate",
            "Orders within 7 days, reminded vs not reminded.",
            ["Abandoned-cart journeys (Feature ABC)"],
            HypothesisStatus.RUNNING,
            "",
        ),
        (
            "We believe recommendations based on past orders lift clicks by 30%.",
            "Pilot on the weekly newsletter for one category.",
            "Repurchase rate",
            "Click-through and orders per email, pilot vs control.",
            ["Personalised product recommendations (Feature XYZ)"],
            HypothesisStatus.PROPOSED,
            "",
        ),
        (
            "We believe customers who buy consumables come back when reminded before they run out.",
            "Email a replenishment reminder to 5,000 buyers of consumables, 25 days after "
            "their order.",
            "Repurchase rate",
            "",
            ["Post-purchase replenishment reminders"],
            HypothesisStatus.VALIDATED,
            "Reminded buyers reordered 1.4 times as often within 30 days as the control group.",
        ),
    ],
    "crm": [
        (
            "We believe reps log more calls when they can call from the deal page.",
            "Give ten reps in-CRM calling for a month.",
            "Hours to first contact",
            "Calls logged per rep and week.",
            ["Audio and video calls from the deal page"],
            HypothesisStatus.INVALIDATED,
            "Reps kept calling from their phones: logged calls did not change.",
        ),
    ],
}

# title, category, probability, impact, mitigation, owner, status, review in days
RISKS = {
    "email-marketing-platform": [
        (
            "Consent records not migrated for part of the list",
            RiskCategory.LEGAL,
            3,
            5,
            "Migrate consent with each address; send nothing to addresses without it.",
            "product.manager",
            RiskStatus.MITIGATING,
            14,
        ),
        (
            "Cold sending IPs land Black Friday emails in spam",
            RiskCategory.REPUTATIONAL,
            3,
            4,
            "Warm up the new IPs from eight weeks before launch.",
            "dana.kim",
            RiskStatus.OPEN,
            21,
        ),
        (
            "Campaign freeze during migration costs Q4 revenue",
            RiskCategory.BUSINESS,
            2,
            4,
            "Migrate in waves; keep the legacy system sending until each wave is verified.",
            "product.manager",
            RiskStatus.OPEN,
            30,
        ),
    ],
    "crm": [
        (
            "Call recording without both parties' consent",
            RiskCategory.LEGAL,
            2,
            5,
            "Announce recording at the start of every call; off by default per country.",
            "dana.kim",
            RiskStatus.MITIGATING,
            30,
        ),
        (
            "Sales teams distrust the funnel numbers",
            RiskCategory.BUSINESS,
            3,
            3,
            "Show how each number is computed; reconcile with finance monthly.",
            "dana.kim",
            RiskStatus.OPEN,
            45,
        ),
    ],
}


def seed_products(users: DemoUsers, assets: dict[str, Asset]) -> dict[str, Product]:
    today = timezone.localdate()
    launch = next_launch(today)
    products: dict[str, Product] = {}
    for slug, spec in PRODUCTS.items():
        asset = assets[slug]
        texts = {k: v for k, v in spec.items() if k != "editors"}
        if slug == "email-marketing-platform":
            texts["launch_date"] = launch  # the replacement's go-live, before Black Friday
        product, _ = Product.objects.get_or_create(
            asset=asset, defaults={**texts, "updated_by": asset.owner}
        )
        product.editors.add(*[users[name] for name in spec["editors"]])
        products[slug] = product

        kpis: dict[str, Kpi] = {}
        for name, unit, baseline, (kind, target), direction, due, measured in KPIS[slug]:
            in_months = isinstance(due, str)
            kpi, created = Kpi.objects.get_or_create(
                product=product,
                name=name,
                defaults={
                    "unit": unit,
                    "baseline": Decimal(baseline),
                    "target_kind": kind,
                    "target_value": Decimal(target),
                    "direction": direction,
                    "due_months": int(due.removesuffix("m")) if in_months else None,
                    "due_date": None if in_months else today + timedelta(days=due),
                    "updated_by": asset.owner,
                },
            )
            if created:
                KpiMeasurement.objects.bulk_create(
                    KpiMeasurement(
                        kpi=kpi,
                        date=today - timedelta(days=days),
                        value=Decimal(value),
                        recorded_by=asset.owner,
                    )
                    for days, value in measured
                )
            kpis[name] = kpi

        existing = set(RoadmapItem.objects.filter(product=product).values_list("title", flat=True))
        for title, horizon, status, kpi_name, rice, ice, texts in ITEMS[slug]:
            if title in existing:
                continue
            reach, impact, confidence, effort = rice
            services.roadmap_item_create(
                product=product,
                by=asset.owner,
                title=title,
                horizon=horizon,
                status=status,
                kpi=kpis.get(kpi_name) if kpi_name else None,
                reach=reach,
                impact=Decimal(impact),
                confidence=confidence,
                effort=Decimal(effort),
                ice_impact=ice[0],
                ice_confidence=ice[1],
                ice_ease=ice[2],
                **texts,
            )

        seed_hypotheses(product, kpis, HYPOTHESES[slug])

        for title, category, probability, impact, mitigation, owner, status, review in RISKS[slug]:
            ProductRisk.objects.get_or_create(
                product=product,
                title=title,
                defaults={
                    "category": category,
                    "probability": probability,
                    "impact": impact,
                    "mitigation": mitigation,
                    "owner": users[owner],
                    "status": status,
                    "review_date": today + timedelta(days=review),
                    "updated_by": asset.owner,
                },
            )
    return products


def seed_hypotheses(product: Product, kpis: dict[str, Kpi], specs: list[tuple]) -> None:
    """The product's hypotheses, each created once (found by its belief); a concluded one is
    concluded through the service, which raises or lowers its items' confidence."""
    by = product.asset.owner
    items = {item.title: item for item in RoadmapItem.objects.filter(product=product)}
    for belief, action, kpi_name, metric, titles, status, insight in specs:
        if Hypothesis.objects.filter(product=product, hypothesis=belief).exists():
            continue
        hypothesis = services.hypothesis_create(
            product=product,
            by=by,
            hypothesis=belief,
            action=action,
            kpi=kpis.get(kpi_name),
            metric=metric,
            items=[items[title] for title in titles if title in items],
        )
        if status != HypothesisStatus.PROPOSED:
            services.hypothesis_set_status(
                hypothesis_id=hypothesis.pk,
                version=hypothesis.version,
                by=by,
                status=status,
                insight=insight,
            )

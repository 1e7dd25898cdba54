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
    Kpi,
    KpiMeasurement,
    Product,
    ProductKind,
    ProductRisk,
    RiskCategory,
    RiskStatus,
    RoadmapItem,
    Stage,
    Status,
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
    },
}

# name, unit, baseline, target, direction, due (days after launch), measurements
# (days before the seed, value).
KPIS = {
    "email-marketing-platform": [
        (
            "Repurchase rate",
            "%",
            "18",
            "24",
            Direction.UP,
            91,
            [(150, "17.8"), (120, "18.2"), (90, "17.9"), (60, "18.0"), (30, "18.4")],
        ),
        (
            "Unsubscribe rate per campaign",
            "%",
            "0.6",
            "0.4",
            Direction.DOWN,
            91,
            [(90, "0.62"), (60, "0.60"), (30, "0.57")],
        ),
    ],
    "crm": [
        (
            "Lead-to-deal conversion",
            "%",
            "12",
            "16",
            Direction.UP,
            180,
            [(120, "11.5"), (90, "12.0"), (60, "12.8"), (30, "13.1")],
        ),
        (
            "Hours to first contact",
            " h",
            "26",
            "4",
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
                "hypothesis": "We believe a reminder within two hours brings back one in ten "
                "abandoned carts.",
                "action": "Send the 2-hour reminder to half of the abandoned carts for 4 weeks.",
                "data": "Orders within 7 days, reminded vs not reminded.",
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
                "hypothesis": "We believe recommendations based on past orders lift clicks by 30%.",
                "action": "Pilot on the weekly newsletter for one category.",
                "data": "Click-through and orders per email, pilot vs control.",
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
            "Unsubscribe rate per campaign",
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
        product, _ = Product.objects.get_or_create(
            asset=asset, defaults={**texts, "updated_by": asset.owner}
        )
        product.editors.add(*[users[name] for name in spec["editors"]])
        products[slug] = product

        kpis: dict[str, Kpi] = {}
        for name, unit, baseline, target, direction, due, measured in KPIS[slug]:
            kpi, created = Kpi.objects.get_or_create(
                product=product,
                name=name,
                defaults={
                    "unit": unit,
                    "baseline": Decimal(baseline),
                    "target": Decimal(target),
                    "direction": direction,
                    "due_date": launch + timedelta(days=due),
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

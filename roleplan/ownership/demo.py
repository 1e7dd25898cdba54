"""Demo data for the ownership side: the people and the registry of DESIGN.md's examples.

People: Priya (product.manager) owns the email marketing platform; Marco (project.manager)
runs projects; Sam (stakeholder); Dana (dana.kim) owns the CRM product and also manages one
of its projects (a role conflict, on purpose); Alex (alex.former) left the company and still
owns the legacy email system (ownerless). The managers (Priya, Marco, Dana) are planners (the
"ownership.plan" permission: they may register products and start projects); Sam is not.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import Permission, User
from django.utils import timezone

from roleplan.ownership.models import Asset, AssetKind, Handover

DEMO_USERS = [
    # username, first name, last name, email
    ("product.manager", "Priya", "Patel", "priya.patel@example.com"),
    ("project.manager", "Marco", "Rossi", "marco.rossi@example.com"),
    ("stakeholder", "Sam", "Okafor", "sam.okafor@example.com"),
    ("dana.kim", "Dana", "Kim", "dana.kim@example.com"),
    ("alex.former", "Alex", "Meyer", "alex.meyer@example.com"),
]


# Who may register products and start projects (the planner permission).
PLANNERS = ["product.manager", "project.manager", "dana.kim"]


@dataclass
class DemoUsers:
    by_username: dict[str, User]
    generated_password: str | None

    def __getitem__(self, username: str) -> User:
        return self.by_username[username]


def seed_users(*, password: str | None) -> DemoUsers:
    """Create the demo users once. An existing user's password is left as it is, unless
    DEMO_PASSWORD is given and differs from it, so a second run changes nothing."""
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    users: dict[str, User] = {}
    created_any = False
    for username, first, last, email in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": email}
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
            created_any = True
        elif generated is None and not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        users[username] = user
    planner = Permission.objects.get(content_type__app_label="ownership", codename="plan")
    for username in PLANNERS:
        users[username].user_permissions.add(planner)
    return DemoUsers(by_username=users, generated_password=generated if created_any else None)


# name, kind, slug, owner, deputy, team, days since confirmation (None: never), description,
# earlier owners (username, reason) in order, the last of whom handed over to the owner.
DEMO_ASSETS = [
    (
        "Email marketing platform",
        AssetKind.PRODUCT,
        "email-marketing-platform",
        "product.manager",
        "stakeholder",
        "Growth",
        5,
        "Campaigns, segments and lifecycle emails for the shop's customers. Replaces the legacy "
        "email system before Black Friday.",
        [
            (
                "stakeholder",
                "One accountable owner named for the Black Friday replacement: the "
                "platform was late while three teams shared it.",
            )
        ],
    ),
    (
        "CRM",
        AssetKind.PRODUCT,
        "crm",
        "dana.kim",
        "product.manager",
        "Sales tools",
        12,
        "The customer relationship management product used by sales: contacts, deals, calls "
        "and the sales funnel.",
        [],
    ),
    (
        "Customer onboarding",
        AssetKind.PROCESS,
        "customer-onboarding",
        "stakeholder",
        None,
        "Customer success",
        130,
        "From signed contract to first campaign sent: accounts, data import, training.",
        [],
    ),
    (
        "Release process",
        AssetKind.PROCESS,
        "release-process",
        "project.manager",
        "dana.kim",
        "Engineering",
        20,
        "How changes reach production: release train every Tuesday, freeze before peak sales.",
        [],
    ),
    (
        "Legacy email system",
        AssetKind.SYSTEM,
        "legacy-email-system",
        "alex.former",
        None,
        "Marketing ops",
        200,
        "The old campaign tool, to be switched off after the replacement goes live.",
        [],
    ),
    (
        "Sales CRM database",
        AssetKind.SYSTEM,
        "sales-crm-database",
        "project.manager",
        "dana.kim",
        "Data platform",
        None,
        "PostgreSQL cluster behind the CRM: contacts, deals, activity history.",
        [],
    ),
]


def seed_assets(users: DemoUsers) -> dict[str, Asset]:
    now = timezone.now()
    assets: dict[str, Asset] = {}
    for name, kind, slug, owner, deputy, team, days, description, earlier in DEMO_ASSETS:
        asset = Asset.objects.filter(slug=slug).first()
        if asset is None:
            first_owner = users[earlier[0][0]] if earlier else users[owner]
            registered = now - timedelta(days=240)
            asset = Asset.objects.create(
                kind=kind,
                name=name,
                slug=slug,
                owner=first_owner,
                team=team,
                description=description,
                created_at=registered,
            )
            Handover.objects.create(
                asset=asset,
                to_owner=first_owner,
                by=first_owner,
                reason="Registered",
                at=registered,
            )
            for step, (_previous, reason) in enumerate(earlier, start=1):
                Handover.objects.create(
                    asset=asset,
                    from_owner=asset.owner,
                    to_owner=users[owner],
                    by=asset.owner,
                    reason=reason,
                    at=registered + timedelta(days=30 * step),
                )
                asset.owner = users[owner]
            asset.deputy = users[deputy] if deputy else None
            asset.deputy = users[deputy] if deputy else None
            asset.confirmed_at = None if days is None else now - timedelta(days=days)
            asset.save()
        assets[slug] = asset
    # Alex left: the directory sync deactivated the account while Alex still owned an asset.
    User.objects.filter(username="alex.former", is_active=True).update(is_active=False)
    return assets

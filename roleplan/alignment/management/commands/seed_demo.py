"""Create the demo of DESIGN.md: the email platform before Black Friday, and the CRM.

Idempotent: every object is looked up by a natural key before it is created, so a second run
changes nothing. It lives in alignment, the one app allowed to import all the others; each app
seeds its own part in its demo module, in the order of the dependencies.
"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand
from django.db import transaction

from products.demo import seed_products
from projects.demo import seed_projects
from roleplan.alignment.demo import seed_alignment
from roleplan.ownership.demo import seed_assets, seed_users


class Command(BaseCommand):
    help = "Create the demo users and data (idempotent). Password from DEMO_PASSWORD."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            users = seed_users(password=os.environ.get("DEMO_PASSWORD") or None)
            assets = seed_assets(users)
            seed_products(users, assets)
            seed_projects(users, assets)
            seed_alignment(users)
        if users.generated_password:
            self.stdout.write(
                self.style.WARNING(
                    "Demo users product.manager, project.manager and stakeholder were created "
                    f"with the password: {users.generated_password}\n"
                    "It is shown only this once; set DEMO_PASSWORD to choose your own."
                )
            )
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))

"""manage.py import_mspdi FILE --product SLUG --manager USERNAME [--dry-run]: an MS Project XML
plan becomes a proposed project, as the browser's import does (projects.mspdi_import reads it,
projects.services.plan_import writes it, all or nothing). --dry-run prints what would be
created, with the warnings, and writes nothing."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from products.models import Product
from projects import mspdi_import, services


class Command(BaseCommand):
    help = "Import an MS Project XML plan (MSPDI) as a proposed project."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--product", required=True, help="the product's slug")
        parser.add_argument("--manager", required=True, help="the project manager's username")
        parser.add_argument("--dry-run", action="store_true", help="show, write nothing")

    def handle(self, *args, file: Path, product: str, manager: str, dry_run: bool, **options):
        the_product = Product.objects.select_related("asset").filter(asset__slug=product).first()
        if the_product is None:
            raise CommandError(f"No product with the slug “{product}”.")
        person = User.objects.filter(username=manager, is_active=True).first()
        if person is None:
            raise CommandError(f"No active user “{manager}”.")
        try:
            size = file.stat().st_size
            if size > mspdi_import.MAX_BYTES:
                raise mspdi_import.Unreadable(
                    f"The file is {size / 1024 / 1024:.1f} MB; plans of up to "
                    f"{mspdi_import.MAX_BYTES // 1024 // 1024} MB are imported."
                )
            proposal = mspdi_import.read(file.read_bytes(), today=timezone.localdate())
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        except mspdi_import.Unreadable as exc:
            raise CommandError(str(exc)) from None
        self.report(proposal)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
            return
        project = services.plan_import(
            proposal=proposal, by=person, manager=person, product=the_product
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported as the proposed project “{project.name}” ({project.slug})."
            )
        )

    def report(self, p: mspdi_import.Proposal) -> None:
        out = self.stdout.write
        out(f"Project: {p.name}, {p.start} to {p.deadline}, budget {p.budget} {p.currency}")
        out(
            f"{len(p.deliverables)} deliverables, {len(p.milestones)} milestones, "
            f"{len(p.links) + len(p.milestone_links)} links, {len(p.costs)} cost lines, "
            f"{len(p.groups)} groups"
        )
        for r in p.matched:
            out(f"Resource {r.name}: {r.person.get_username()}")
        for r in p.unmatched:
            out(f"Resource {r.name}: not matched ({r.why_unmatched})")
        for note in p.notes:
            out(f"Warning: {note.item + ': ' if note.item else ''}{note.text}")

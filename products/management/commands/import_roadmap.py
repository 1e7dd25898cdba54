"""`manage.py import_roadmap FILE --product SLUG [--dry-run] [--mapping COLUMN=FIELD ...]
[--by USERNAME]`: a roadmap CSV imported as the import page imports it (products/roadmap_csv.py
reads it, products/services.py writes it), all rows or none.

The columns are mapped from their headers as the page proposes; `--mapping` changes one
column: its header (or its number, counted from 1) = a field name (title, external_key,
roleplan_id, status, horizon, problem, audience, requirements, success_metric, kpi, reach,
impact, confidence, effort, ice_impact, ice_confidence, ice_ease), or nothing to leave the
column out. `--dry-run` prints what each row would do and writes nothing. The import is made
by `--by` (a username; the product's owner by default), whom the items' history names.
Any error: nothing is written and the command exits with status 1, listing the errors.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from products import roadmap_csv, services
from products.models import ImportSource, Product
from products.spreadsheets import Table, UnreadableFile, read_table

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "Import a roadmap CSV (Jira Product Discovery, Productboard, roleplan) into a product."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file")
        parser.add_argument("--product", required=True, help="the product's slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="show what each row would do; write nothing"
        )
        parser.add_argument(
            "--mapping",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="map a column (header or number) to a field, or to nothing: repeat as needed",
        )
        parser.add_argument("--by", help="the username the import is made by (default: owner)")

    def handle(self, *args, **options) -> None:
        product = (
            Product.objects.select_related("asset__owner")
            .filter(asset__slug=options["product"])
            .first()
        )
        if product is None:
            raise CommandError(f"No product has the slug “{options['product']}”.")
        by = product.asset.owner
        if options["by"]:
            by = User.objects.filter(username=options["by"], is_active=True).first()
            if by is None:
                raise CommandError(f"No active user is named “{options['by']}”.")
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}.") from None
        try:
            table = read_table(data)
        except UnreadableFile as error:
            raise CommandError(f"{path.name}: {error} Nothing was imported.") from None
        source = roadmap_csv.detect(table.header)
        mapping = roadmap_csv.proposed_mapping(product, table, source)
        for option in options["mapping"]:
            apply_option(mapping, table, option, product)
        self.describe(path, table, source, mapping)
        plan = roadmap_csv.plan_import(product, table, mapping)
        self.report(plan)
        if not plan.ok:
            raise CommandError("Nothing was imported: fix the errors above.")
        if options["dry_run"]:
            self.stdout.write(f"Dry run: {roadmap_csv.summary(plan.counts)}; nothing written.")
            return
        if not plan.counts["create"] + plan.counts["update"]:
            self.stdout.write("Nothing to import: every row matches its item as it is.")
            return
        with transaction.atomic():
            upload = services.roadmap_upload(
                product=product, by=by, file_name=path.name, table=table
            )
            upload = services.roadmap_upload_map(
                upload_id=upload.pk, version=upload.version, by=by, mapping=mapping
            )
            try:
                upload = services.roadmap_upload_run(
                    upload_id=upload.pk, version=upload.version, by=by
                )
            except services.ImportRefused as refused:  # the roadmap changed since the plan
                self.report(refused.plan)
                raise CommandError("Nothing was imported: fix the errors above.") from None
        counts = {
            "create": upload.created_count,
            "update": upload.updated_count,
            "unchanged": upload.unchanged_count,
        }
        self.stdout.write(self.style.SUCCESS(f"Imported: {roadmap_csv.summary(counts)}."))

    def describe(self, path: Path, table: Table, source: str, mapping: list[str]) -> None:
        label = ImportSource(source).label
        self.stdout.write(f"{path.name}: {label}, {table.described}, {len(table.rows):,} rows.")
        for header, name in zip(table.header, mapping, strict=True):
            if name:
                self.stdout.write(f"  {header} → {roadmap_csv.BY_NAME[name].label}")

    def report(self, plan: roadmap_csv.Plan) -> None:
        for error in plan.mapping_errors:
            self.stderr.write(f"Mapping: {error}")
        problems = plan.problems
        for problem in problems[:SHOWN_ERRORS]:
            column = f", {problem.column}" if problem.column else ""
            self.stderr.write(f"Row {problem.row:,}{column}: {problem.message}")
        if len(problems) > SHOWN_ERRORS:
            self.stderr.write(f"… and {len(problems) - SHOWN_ERRORS:,} more errors.")
        if plan.mapping_errors:
            return
        for row in plan.rows:
            if row.action in (roadmap_csv.Action.CREATE, roadmap_csv.Action.UPDATE):
                changes = "; ".join(f"{c['label']}: {c['old']} → {c['new']}" for c in row.changes)
                verb = "create" if row.action == roadmap_csv.Action.CREATE else "update"
                self.stdout.write(
                    f"  row {row.number:,}: {verb} “{row.title}”"
                    + (f" ({changes})" if changes else "")
                )


def apply_option(mapping: list[str], table: Table, option: str, product: Product) -> None:
    """Apply one `--mapping COLUMN=FIELD` to `mapping`; CommandError if it names no column or
    no field of this product."""
    column, separator, name = option.rpartition("=")
    if not separator or not column:
        raise CommandError(f"--mapping {option}: write COLUMN=FIELD (FIELD empty to leave it out).")
    name = name.strip()
    if name in ("ignore", "none", "-"):
        name = ""
    names = {target.name for target in roadmap_csv.offered(product)}
    if name and name not in names:
        raise CommandError(
            f"--mapping {option}: no field “{name}” on this product's items; one of: "
            + ", ".join(sorted(names))
        )
    wanted = roadmap_csv.normalised(column)
    indexes = [
        i for i, header in enumerate(table.header) if roadmap_csv.normalised(header) == wanted
    ]
    if not indexes and column.strip().isdigit() and 1 <= int(column) <= len(table.header):
        indexes = [int(column) - 1]
    if not indexes:
        raise CommandError(f"--mapping {option}: the file has no column “{column}”.")
    if name and len(indexes) > 1:
        raise CommandError(
            f"--mapping {option}: {len(indexes)} columns are named “{column}”; name one by its "
            f"number ({', '.join(str(i + 1) for i in indexes)})."
        )
    for index in indexes:
        if name:
            # The field leaves any other column it was proposed for.
            mapping[:] = ["" if field == name else field for field in mapping]
        mapping[index] = name

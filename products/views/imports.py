"""A roadmap out and in as CSV: the export, and the import in three steps, each a page of its
own that a reload or a link shows again.

1. The upload page (`import_start`) reads the file (products/spreadsheets.py) and keeps it as a
   RoadmapImport with the mapping its header suggests.
2. The review page (`import_review`) shows the mapping, one select per column, and the preview
   of what each row will do (create, update, unchanged) with every error by row and column.
   Changing the mapping (`import_mapping`) saves it and shows the review again (the review's
   region, to htmx).
3. Importing (`import_run`) writes all the rows or none; the review page then shows what was
   done.

Only those who may change the roadmap (its product's owner, editors and staff) import; every
signed-in user may export, as every one may see the roadmap. The rules of the file are in
products/roadmap_csv.py, the writes in products/services.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from products import access, roadmap_csv, services
from products.forms import ImportMappingForm, ImportRunForm, RoadmapUploadForm
from products.models import Product, RoadmapImport, RoadmapItem, Status
from products.roadmap import items_url
from products.spreadsheets import Table, csv_lines, parse
from roleplan.http import HttpRequest
from roleplan.versioning import StaleEdit

PREVIEW_SIZE = 50  # rows of the preview a page
SHOWN_PROBLEMS = 100  # errors listed above the preview (all of them count)
SAMPLES = 2  # values shown beside each column's select
SHOWN = 100  # items of each kind the summary names
SHOW = {
    "all": "All rows",
    "error": "Errors",
    "create": "New",
    "update": "Changed",
    "unchanged": "Unchanged",
}


@require_GET
def roadmap_export(request: HttpRequest, slug: str) -> HttpResponse:
    """The roadmap as roleplan's CSV (roadmap_csv.EXPORT_COLUMNS). Read in chunks; written
    whole (5,000 items make about 2 MB), so the answer has its length and is cached by none."""
    product = access.get_product_for_view(request.user, slug)
    header, rows = roadmap_csv.export_rows(product)
    response = HttpResponse("".join(csv_lines(header, rows)), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{product.slug}-roadmap.csv"'
    return response


@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest, slug: str) -> HttpResponse:
    product = access.get_product_for_edit(request.user, slug)
    data = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = RoadmapUploadForm(*data, product=product)
    if form.is_bound and form.is_valid():
        upload = services.roadmap_upload(
            product=product,
            by=request.user,
            file_name=form.cleaned_data["file"].name,
            table=form.table,
        )
        return redirect(upload.get_absolute_url())
    recent = list(
        product.imports.exclude(imported_at=None)
        .select_related("created_by")
        .only(
            *["product_id", "file_name", "source", "imported_at", "result"],
            *["created_by__username", "created_by__first_name", "created_by__last_name"],
        )[:5]
    )
    for upload in recent:
        upload.product = product
    context = {"product": product, "form": form, "recent": recent}
    return render(
        request, "products/roadmap_import.html", context, status=422 if form.is_bound else 200
    )


@require_GET
def import_review(request: HttpRequest, slug: str, import_id: int) -> HttpResponse:
    product, upload = access.get_import_for_edit(request.user, slug, import_id)
    if upload.imported_at is not None:
        return render_summary(request, product, upload)
    return render_review(request, product, upload)


@require_POST
def import_mapping(request: HttpRequest, slug: str, import_id: int) -> HttpResponse:
    """Save the mapping and show the review with it (its region, to htmx)."""
    product, upload = access.get_import_for_edit(request.user, slug, import_id)
    if upload.imported_at is not None:
        return redirect(upload.get_absolute_url())
    table = stored_table(upload)
    form = ImportMappingForm(request.POST, upload=upload, header=table.header, product=product)
    if not form.is_valid():
        return render_review(request, product, upload, table=table, form=form, status=422)
    try:
        upload = services.roadmap_upload_map(
            upload_id=upload.pk,
            version=form.cleaned_data["version"],
            by=request.user,
            mapping=form.mapping(),
        )
    except StaleEdit as stale:
        notice = (
            "Someone else changed this mapping meanwhile: the page shows theirs. Change it "
            "again if need be."
        )
        return render_review(request, product, stale.current, notice=notice, status=409)
    except services.AlreadyImported:
        return redirect(upload.get_absolute_url())
    if not request.htmx:
        return redirect(upload.get_absolute_url())
    upload.product = product
    return render_review(
        request, product, upload, table=table, notice="Mapping saved.", notice_ok=True
    )


@require_POST
def import_run(request: HttpRequest, slug: str, import_id: int) -> HttpResponse:
    product, upload = access.get_import_for_edit(request.user, slug, import_id)
    form = ImportRunForm(request.POST)
    if upload.imported_at is not None or not form.is_valid():
        return redirect(upload.get_absolute_url())
    try:
        upload = services.roadmap_upload_run(
            upload_id=upload.pk, version=form.cleaned_data["version"], by=request.user
        )
    except StaleEdit as stale:
        notice = (
            "The mapping changed after this preview was shown (in another tab, or by someone "
            "else): nothing was imported. Check the preview again, then import."
        )
        return render_review(request, product, stale.current, notice=notice, status=409)
    except services.AlreadyImported:
        messages.info(request, "This file was imported already.")
        return redirect(upload.get_absolute_url())
    except services.ImportRefused:
        notice = "Nothing was imported: the rows below have errors."
        return render_review(request, product, upload, notice=notice, status=422)
    counts = {
        "create": upload.created_count,
        "update": upload.updated_count,
        "unchanged": upload.unchanged_count,
    }
    messages.success(request, f"Imported “{upload.file_name}”: {roadmap_csv.summary(counts)}.")
    return redirect(upload.get_absolute_url())


def stored_table(upload: RoadmapImport) -> Table:
    table = parse(upload.content, upload.delimiter)
    table.encoding = upload.encoding
    return table


def column_rows(table: Table, form: ImportMappingForm) -> list[dict]:
    """Each column of the file as the mapping shows it: its select, a few of its values, how
    many rows fill it, and why it has no place on an item when it has none."""
    filled = [0] * len(table.header)
    samples: list[list[str]] = [[] for _ in table.header]
    for _, cells in table.rows:
        for index, cell in enumerate(cells):
            value = " ".join(cell.split())
            if value:
                filled[index] += 1
                if len(samples[index]) < SAMPLES and value not in samples[index]:
                    samples[index].append(value if len(value) <= 60 else value[:59] + "…")
    return [
        {
            "number": index + 1,
            "header": header,
            "field": form[form.names[index]],
            "mapped": bool(form[form.names[index]].value()),
            "filled": filled[index],
            "samples": samples[index],
            "no_place": roadmap_csv.no_place(header),
        }
        for index, header in enumerate(table.header)
    ]


def render_review(
    request: HttpRequest,
    product: Product,
    upload: RoadmapImport,
    *,
    table: Table | None = None,
    form: ImportMappingForm | None = None,
    notice: str = "",
    notice_ok: bool = False,
    status: int = 200,
) -> HttpResponse:
    """The mapping and the preview of the upload as mapped now: the page, or its region to
    htmx. Queries: the upload (by the caller), the product's items and KPIs (roadmap_csv)."""
    upload.product = product
    table = table or stored_table(upload)
    if form is None:
        form = ImportMappingForm(upload=upload, header=table.header, product=product)
    plan = roadmap_csv.plan_import(product, table, upload.mapping)
    show = request.GET.get("show", "all")
    show = show if show in SHOW else "all"
    rows = plan.rows if show == "all" else [row for row in plan.rows if row.action == show]
    page = Paginator(rows, PREVIEW_SIZE).get_page(request.GET.get("page"))
    columns = column_rows(table, form)
    problems = plan.problems
    context = {
        "product": product,
        "upload": upload,
        "table": table,
        "form": form,
        "mapped_columns": [c for c in columns if c["mapped"]],
        "other_columns": [c for c in columns if not c["mapped"] and c["filled"]],
        "empty_columns": [c for c in columns if not c["mapped"] and not c["filled"]],
        "plan": plan,
        "counts": plan.counts,
        "problems": problems[:SHOWN_PROBLEMS],
        "problem_count": len(problems),
        "page": page,
        "show": show,
        "show_choices": [(key, label, plan.counts.get(key)) for key, label in SHOW.items()],
        "run_form": ImportRunForm(initial={"version": upload.version}),
        "notice": notice,
        "notice_ok": notice_ok,
        "items_url": items_url(product),
        "status_choices": Status.choices,
    }
    template = "products/roadmap_import_review.html"
    if request.htmx:
        # The preview's own controls (its filter and pages) swap only the preview.
        region = "import-preview" if request.htmx.target == "import-preview" else "import-review"
        template += f"#{region}"
    return render(request, template, context, status=status)


def render_summary(request: HttpRequest, product: Product, upload: RoadmapImport) -> HttpResponse:
    """What an import did: its counts and the items it created and changed (the first
    SHOWN of each), in one query."""
    created = upload.result.get("created", [])[:SHOWN]
    updated = upload.result.get("updated", [])[:SHOWN]
    items = RoadmapItem.objects.filter(pk__in=[*created, *updated]).only(
        "product_id", "title", "horizon", "status"
    )
    by_pk = {item.pk: item for item in items}
    context = {
        "product": product,
        "upload": upload,
        "created": [by_pk[pk] for pk in created if pk in by_pk],
        "updated": [by_pk[pk] for pk in updated if pk in by_pk],
        "counts": {
            "create": upload.created_count,
            "update": upload.updated_count,
            "unchanged": upload.unchanged_count,
        },
        "created_more": max(0, upload.created_count - SHOWN),
        "updated_more": max(0, upload.updated_count - SHOWN),
        "items_url": items_url(product),
    }
    return render(request, "products/roadmap_import_summary.html", context)

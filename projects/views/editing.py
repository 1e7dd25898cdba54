"""What the item pages of a project share: the page of one deliverable, milestone, cost line or
risk (add, edit, delete), the choices their forms offer, a service's errors put next to their
fields, a stale edit shown again, baselined scope guarded, and the answer to an inline add (the
region again with htmx, a redirect without)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django_htmx.http import trigger_client_event

from products.models import RoadmapItem
from projects.access import ProjectAccess
from projects.forms import ConfirmForm
from projects.models import Deliverable, Project
from projects.services import ScopeGuarded
from roleplan.http import HttpRequest
from roleplan.versioning import StaleEdit

# The event every region of a project page that shows its figures refreshes on.
CHANGED_EVENT = "projectChanged"


def people() -> list[User]:
    return list(User.objects.filter(is_active=True).order_by("first_name", "last_name", "username"))


def roadmap_items_of(project: Project) -> list[RoadmapItem]:
    if not project.product_id:
        return []
    return list(
        RoadmapItem.objects.filter(product_id=project.product_id)
        .only("id", "title")
        .order_by("title", "id")
    )


def attach_errors(form: Form, exc: ValidationError) -> None:
    """Put a service's errors next to their fields, or above the form for the others."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def stale_form(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    form_class: type[Form],
    form_kwargs: dict,
    conflict: StaleEdit,
) -> HttpResponse:
    """409: the form again with what the person typed, the version saved now (so sending again
    applies theirs on purpose), and the conflict region (templates/_conflict.html) saying who
    saved what."""
    data = request.POST.copy()
    data["version"] = str(conflict.current.version)
    form = form_class(data, **form_kwargs)
    form.is_valid()
    return render(request, template, {**context, "form": form, "conflict": conflict}, status=409)


def scope_guarded(
    request: HttpRequest, access: ProjectAccess, deliverable: Deliverable, *, delete: bool
) -> HttpResponse:
    """409: taking baselined scope out was refused and nothing changed; the page offers the
    ways that are allowed: a change request with the change filled in, or (the product's
    owner) the reason."""
    slug = access.project.slug
    change_url = remove_url = ""
    if access.can_request_change:
        change_url = reverse("projects:change_new", args=[slug]) + f"?deliverable={deliverable.pk}"
    if access.can_remove_scope:
        remove_url = reverse("projects:deliverable_remove", args=[slug, deliverable.pk])
        remove_url += "?delete=1" if delete else ""
    context = {
        "project": access.project,
        "access": access,
        "deliverable": deliverable,
        "delete": delete,
        "change_url": change_url,
        "remove_url": remove_url,
        "back_url": reverse("projects:scope", args=[slug]) + f"#deliverable-{deliverable.pk}",
    }
    return render(request, "projects/scope_guard.html", context, status=409)


def asked_for(form: Form) -> Form:
    """A form loaded when someone asked for it: its first field focused, so typing starts there
    (htmx focuses [autofocus] as it swaps the form in)."""
    form.visible_fields()[0].field.widget.attrs["autofocus"] = True
    return form


def saved(request: HttpRequest, *, region: Callable[[], HttpResponse], url: str, message: str):
    """After an inline add or a quick action: with htmx, the region again, fresh from the
    database, and the event the page's other regions refresh on; without, a redirect."""
    if request.htmx:
        return trigger_client_event(region(), CHANGED_EVENT)
    messages.success(request, message)
    return redirect(url)


def invalid(request: HttpRequest, *, region: Callable[[], HttpResponse], page: dict, form: Form):
    """An inline add refused: the region with the form's errors (htmx), or the item's own page
    with them; the input is kept either way."""
    if request.htmx:
        return region()
    return render(request, "projects/item_form.html", {**page, "form": form}, status=422)


# Each kind of item: its noun, the page (and anchor) that lists it, its URLs.
ITEM_KINDS = {
    "deliverable": ("Deliverable", "projects:scope", "#scope", "deliverable"),
    "milestone": ("Milestone", "projects:timeline", "#milestones", "milestone"),
    "cost": ("Cost line", "projects:budget", "", "cost"),
    "risk": ("Risk", "projects:risks", "", "risk"),
}


def item_page(access: ProjectAccess, kind: str, obj: models.Model | None) -> dict:
    noun, list_name, anchor, prefix = ITEM_KINDS[kind]
    slug = access.project.slug
    return {
        "project": access.project,
        "access": access,
        "kind": kind,
        "noun": noun,
        "obj": obj,
        "back_url": reverse(list_name, args=[slug]) + anchor,
        "action": reverse(f"projects:{prefix}_edit", args=[slug, obj.pk])
        if obj
        else reverse(f"projects:{prefix}_add", args=[slug]),
        "delete_url": reverse(f"projects:{prefix}_delete", args=[slug, obj.pk]) if obj else None,
        "delete_form": ConfirmForm(initial={"version": obj.version}) if obj else None,
    }


def edit_item(
    request: HttpRequest,
    *,
    access: ProjectAccess,
    kind: str,
    obj: models.Model,
    form_class: type[Form],
    form_kwargs: dict,
    initial: dict,
    update: Callable[[int, dict], Any],
) -> HttpResponse:
    """The edit page of one item: GET shows the form, POST calls `update(version, data)`."""
    page = item_page(access, kind, obj)
    if request.method == "GET":
        form = form_class(initial=initial, **form_kwargs)
        return render(request, "projects/item_form.html", {**page, "form": form})
    form = form_class(request.POST, initial=initial, **form_kwargs)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            update(version, data)
        except ScopeGuarded as exc:
            return scope_guarded(request, access, exc.deliverable, delete=exc.delete)
        except StaleEdit as exc:
            return stale_form(
                request,
                "projects/item_form.html",
                page,
                form_class=form_class,
                form_kwargs={"initial": initial, **form_kwargs},
                conflict=exc,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"{page['noun']} saved.")
            return redirect(page["back_url"])
    return render(request, "projects/item_form.html", {**page, "form": form}, status=422)


def delete_item(
    request: HttpRequest,
    *,
    access: ProjectAccess,
    kind: str,
    obj: models.Model,
    delete: Callable[[int], Any],
) -> HttpResponse:
    page = item_page(access, kind, obj)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Confirm the deletion from the edit page.")
        return redirect(page["action"])
    try:
        delete(form.cleaned_data["version"])
    except ScopeGuarded as exc:
        return scope_guarded(request, access, exc.deliverable, delete=exc.delete)
    except StaleEdit:
        messages.error(
            request,
            f"This {page['noun'].lower()} was changed by someone else since you opened it: "
            "look at it again before deleting.",
        )
        return redirect(page["action"])
    messages.success(request, f"{page['noun']} “{obj}” deleted.")
    return redirect(page["back_url"])

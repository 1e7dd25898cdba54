"""Change requests: the list of them, asking for one (the product's owner), answering it with
options (the project manager), deciding it or withdrawing it (the product's owner)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from products.models import Kpi
from projects import services
from projects.access import ProjectAccess, get_change_request, get_project
from projects.forms import REJECT, ChangeOptionForm, ChangeRequestForm, ConfirmForm, DecisionForm
from projects.models import ChangeRequest, Deliverable, Project
from projects.services import Refused
from projects.views.editing import attach_errors, roadmap_items_of, stale_form
from roleplan.http import HttpRequest
from roleplan.versioning import StaleEdit


@require_GET
def changes(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_project(request.user, slug)
    project = access.project
    requests = list(
        project.change_requests.select_related(
            "requested_by", "decision__option", "decision__decided_by"
        )
        .with_option_count()
        .order_by("-number")
    )
    context = {
        "project": project,
        "access": access,
        "open_requests": [r for r in requests if r.is_open],
        "closed_requests": [r for r in requests if not r.is_open],
    }
    return render(request, "projects/changes.html", context)


def product_choices(project: Project) -> dict:
    kpis = (
        list(Kpi.objects.filter(product_id=project.product_id).order_by("name"))
        if project.product_id
        else []
    )
    return {"roadmap_items": roadmap_items_of(project), "kpis": kpis}


def in_scope(project: Project) -> list[Deliverable]:
    """What an option may move out of scope."""
    return list(
        project.deliverables.filter(in_scope=True)
        .only("id", "project_id", "title")
        .order_by("due_date", "id")
    )


@require_http_methods(["GET", "POST"])
def change_new(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_project(request.user, slug)
    access.require(
        access.can_request_change,
        "Only the owner of the project's product asks for changes, once the project is approved.",
    )
    kwargs = product_choices(access.project)
    context = {"project": access.project, "access": access}
    if request.method == "GET":
        initial = {"roadmap_item": request.GET.get("roadmap_item")}
        return render(
            request,
            "projects/change_form.html",
            {**context, "form": ChangeRequestForm(initial=initial, **kwargs)},
        )
    form = ChangeRequestForm(request.POST, **kwargs)
    if form.is_valid():
        try:
            change = services.change_request_create(
                project_id=access.project.pk, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{change.code} sent to the project manager for options.")
            return redirect(reverse("projects:change", args=[slug, change.number]))
    return render(request, "projects/change_form.html", {**context, "form": form}, status=422)


def change_context(
    access: ProjectAccess,
    change: ChangeRequest,
    *,
    option_form: ChangeOptionForm | None = None,
    decision_form: DecisionForm | None = None,
) -> dict:
    project = access.project
    options = list(
        change.options.select_related("created_by").prefetch_related("descopes").order_by("label")
    )
    for option in options:
        option.new_deadline = project.deadline + timedelta(days=option.deadline_days)
        option.new_budget = project.budget + option.budget_amount
    decided_option = change.decision.option if hasattr(change, "decision") else None
    can_add_options = access.can_edit and change.is_open
    if can_add_options and option_form is None:
        # The form lists the scope: read only for those who may add an option.
        option_form = ChangeOptionForm(deliverables=in_scope(project), creating=True)
    return {
        "project": project,
        "access": access,
        "change": change,
        "options": options,
        "decided_option": decided_option,
        "decision": getattr(change, "decision", None),
        "can_add_options": can_add_options,
        "can_decide": access.can_decide and change.is_open and bool(options),
        "can_withdraw": access.can_decide and change.is_open,
        "option_form": option_form,
        # No option is chosen for the product manager: a decision is final.
        "decision_form": decision_form or DecisionForm(options=options),
    }


@require_GET
def change_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    access, change = get_change_request(request.user, slug, number)
    return render(request, "projects/change.html", change_context(access, change))


@require_http_methods(["GET", "POST"])
def option_add(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    access, change = get_change_request(request.user, slug, number)
    access.require(
        access.can_edit, "Only the project manager and the project's editors add options."
    )
    url = reverse("projects:change", args=[slug, number])
    if request.method == "GET":
        return redirect(url + "#add-option")
    form = ChangeOptionForm(request.POST, deliverables=in_scope(access.project), creating=True)
    if form.is_valid():
        try:
            option = services.change_option_create(
                request_id=change.pk, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Option {option.label} added.")
            return redirect(url + "#options")
    context = change_context(access, change, option_form=form)
    return render(request, "projects/change.html", context, status=422)


@require_http_methods(["GET", "POST"])
def option_edit(request: HttpRequest, slug: str, number: int, pk: int) -> HttpResponse:
    access, change = get_change_request(request.user, slug, number)
    access.require(
        access.can_edit, "Only the project manager and the project's editors edit options."
    )
    option = get_object_or_404(change.options.prefetch_related("descopes"), pk=pk)
    kwargs = {"deliverables": in_scope(access.project)}
    url = reverse("projects:change", args=[slug, number])
    context = {
        "project": access.project,
        "access": access,
        "change": change,
        "option": option,
        "back_url": url,
        "delete_form": ConfirmForm(initial={"version": option.version}),
    }
    initial = {
        "version": option.version,
        "title": option.title,
        "description": option.description,
        "scope_impact": option.scope_impact,
        "adds": option.adds,
        "descopes": [d.pk for d in option.descopes.all()],
        "deadline_days": option.deadline_days,
        "budget_amount": option.budget_amount,
    }
    if request.method == "GET":
        return render(
            request,
            "projects/option_form.html",
            {**context, "form": ChangeOptionForm(initial=initial, **kwargs)},
        )
    form = ChangeOptionForm(request.POST, initial=initial, **kwargs)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        descopes = data.pop("descopes")
        try:
            services.change_option_update(
                option_id=option.pk,
                expected_version=version,
                by=request.user,
                changes=data,
                descopes=descopes,
            )
        except StaleEdit as exc:
            return stale_form(
                request,
                "projects/option_form.html",
                context,
                form_class=ChangeOptionForm,
                form_kwargs={"initial": initial, **kwargs},
                conflict=exc,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        except Refused as exc:
            messages.error(request, str(exc))
            return redirect(url)
        else:
            messages.success(request, f"Option {option.label} saved.")
            return redirect(url + "#options")
    return render(request, "projects/option_form.html", {**context, "form": form}, status=422)


@require_POST
def option_delete(request: HttpRequest, slug: str, number: int, pk: int) -> HttpResponse:
    access, change = get_change_request(request.user, slug, number)
    access.require(
        access.can_edit, "Only the project manager and the project's editors remove options."
    )
    option = get_object_or_404(change.options, pk=pk)
    url = reverse("projects:change", args=[slug, number])
    form = ConfirmForm(request.POST)
    try:
        if not form.is_valid():
            raise StaleEdit(option)
        services.change_option_delete(
            option_id=option.pk, expected_version=form.cleaned_data["version"]
        )
    except StaleEdit:
        messages.error(
            request, f"Option {option.label} changed since you opened it: look again first."
        )
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Option {option.label} removed.")
    return redirect(url)


@require_POST
def change_decide(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    access, change = get_change_request(request.user, slug, number)
    access.require(
        access.can_decide, "Only the owner of the project's product decides change requests."
    )
    url = reverse("projects:change", args=[slug, number])
    options = list(change.options.order_by("label"))
    form = DecisionForm(request.POST, options=options)
    if form.is_valid():
        option = form.chosen_option
        if form.cleaned_data["choice"] != REJECT and option is None:
            form.add_error("choice", "Choose one of the options, or reject the request.")
        else:
            try:
                services.change_request_decide(
                    request_id=change.pk,
                    by=request.user,
                    rationale=form.cleaned_data["rationale"],
                    option_id=option.pk if option else None,
                    option_version=form.chosen_version,
                )
            except Refused as exc:
                messages.error(request, f"Not decided: {exc}")
                return redirect(url)
            except StaleEdit as exc:
                # The option changed after the page was loaded: nothing is decided; the page
                # shows the options as saved now and says which one moved.
                context = change_context(access, change, decision_form=form)
                context["stale_option"] = exc.current
                return render(request, "projects/change.html", context, status=409)
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                if option:
                    messages.success(
                        request,
                        f"Option {option.label} accepted: the project and its baseline moved.",
                    )
                    return redirect(access.project)
                messages.success(request, f"{change.code} rejected; it stays visible here.")
                return redirect(url)
    context = change_context(access, change, decision_form=form)
    return render(request, "projects/change.html", context, status=422)


@require_POST
def change_withdraw(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    access, change = get_change_request(request.user, slug, number)
    access.require(access.can_decide, "Only the owner of the project's product withdraws requests.")
    try:
        services.change_request_withdraw(request_id=change.pk, by=request.user)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{change.code} withdrawn; it stays visible on the project.")
    return redirect(reverse("projects:change", args=[slug, number]))

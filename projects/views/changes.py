"""Change requests: the list of them, asking for one (the product's owner, or the project's
people, to take baselined scope out), answering it with options (the project manager), each
saying what it does to the roadmap items it touches, deciding it or withdrawing it (the
product's owner)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from products.models import Kpi
from projects import services
from projects.access import ProjectAccess, get_change_request, get_project
from projects.forms import (
    REJECT,
    ChangeOptionForm,
    ChangeRequestForm,
    ConfirmForm,
    DecisionForm,
    option_item_formset,
)
from projects.models import ChangeOption, ChangeRequest, Deliverable, Project
from projects.services import Refused
from projects.views.editing import asked_for, attach_errors, roadmap_items_of, stale_form
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
    for cr in requests:
        # Read here, not in the template: a request without a decision raises on access.
        cr.shown_decision = getattr(cr, "decision", None)
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


def descope_prefill(project: Project, raw: str | None) -> tuple[Deliverable | None, dict]:
    """A request raised from a baselined deliverable someone tried to take out of scope: the
    deliverable, and the form's fields filled in from it."""
    if not raw or not str(raw).isdigit():
        return None, {}
    deliverable = (
        project.deliverables.filter(pk=int(raw), in_scope=True)
        .select_related("roadmap_item")
        .only("id", "project_id", "title", "roadmap_item_id", "roadmap_item__title")
        .first()
    )
    if deliverable is None:
        return None, {}
    return deliverable, {
        "title": f"Take “{deliverable.title}” out of scope"[:200],
        "description": f"Take the deliverable “{deliverable.title}” out of the project's "
        "scope; the approved baseline holds it, so a decision moves it.",
        "roadmap_item": deliverable.roadmap_item_id,
        "descope": deliverable.pk,
    }


@require_http_methods(["GET", "POST"])
def change_new(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_project(request.user, slug)
    access.require(
        access.can_request_change,
        "The product's owner and the project's people raise change requests, once the project "
        "is approved.",
    )
    kwargs = product_choices(access.project)
    raw = request.GET.get("deliverable") or request.POST.get("descope")
    deliverable, initial = descope_prefill(access.project, raw)
    kwargs["descopable"] = [deliverable] if deliverable else []
    context = {"project": access.project, "access": access, "descope": deliverable}
    if request.method == "GET":
        initial.setdefault("roadmap_item", request.GET.get("roadmap_item"))
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
            if form.cleaned_data["descope"] is not None:
                sent = f"{change.code} raised with option A filled in; the product's owner decides."
            else:
                sent = f"{change.code} sent to the project manager for options."
            messages.success(request, sent)
            return redirect(reverse("projects:change", args=[slug, change.number]))
    return render(request, "projects/change_form.html", {**context, "form": form}, status=422)


def posted_items(request: HttpRequest, project: Project, roadmap_items=None):
    """The option's roadmap-item rows as posted, or None when the form sent none (a client
    that knows only the option's own fields: its items are then left as they are)."""
    if "items-TOTAL_FORMS" not in request.POST:
        return None
    if roadmap_items is None:
        roadmap_items = roadmap_items_of(project)
    return option_item_formset(request.POST, roadmap_items=roadmap_items)


def new_item_forms(change: ChangeRequest, project: Project):
    """Blank roadmap-item rows for a new option, the first on the request's own item."""
    return option_item_formset(
        roadmap_items=roadmap_items_of(project),
        initial=[{"item": change.roadmap_item_id}] if change.roadmap_item_id else [],
    )


def saved_items(option: ChangeOption) -> list[dict]:
    return [
        {"item": e.item_id, "effect": e.effect, "horizon": e.horizon, "adds": e.adds}
        for e in option.item_effects.all()
    ]


def change_context(
    access: ProjectAccess,
    change: ChangeRequest,
    *,
    option_form: ChangeOptionForm | None = None,
    item_forms=None,
    decision_form: DecisionForm | None = None,
) -> dict:
    project = access.project
    options = list(
        change.options.select_related("created_by")
        .prefetch_related("descopes", "item_effects__item__product__asset")
        .order_by("label")
    )
    decision = getattr(change, "decision", None)
    # The decided option is one of the options read above, with their effects prefetched.
    decided_option = (
        next((o for o in options if o.pk == decision.option_id), None) if decision else None
    )
    # Each option's impact from where the project stood when it was decided (the baseline the
    # decision moved from), or from where it stands now while the request is open.
    deadline, budget = project.deadline, project.budget
    if decided_option is not None:
        written = change.decision.baseline
        deadline = written.deadline - timedelta(days=decided_option.deadline_days)
        budget = written.budget - decided_option.budget_amount
    for option in options:
        option.new_deadline = deadline + timedelta(days=option.deadline_days)
        option.new_budget = budget + option.budget_amount
    # The option form lists the scope and the roadmap (a select of every deliverable and item):
    # it is drawn here only when a post of it came back with errors; otherwise the page offers
    # it, and its own URL answers htmx with the form in place (or a page of its own).
    can_add_options = access.can_edit and change.is_open
    return {
        "project": project,
        "access": access,
        "change": change,
        "options": options,
        "decided_option": decided_option,
        "decision": decision,
        "then": {"deadline": deadline, "budget": budget},
        # decision_id too: the related manager reads it on each row it hands back.
        "decision_costs": list(
            decision.cost_lines.only("id", "decision_id", "description", "planned")
        )
        if decided_option
        else [],
        "can_add_options": can_add_options,
        "can_decide": access.can_decide and change.is_open and bool(options),
        "can_withdraw": access.can_decide and change.is_open,
        "option_form": option_form,
        "item_forms": item_forms,
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
        if not change.is_open:  # decided meanwhile (in another tab, say): show the decision
            messages.info(request, f"{change.code} is closed: it takes no more options.")
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
        form = ChangeOptionForm(deliverables=in_scope(access.project), creating=True)
        context = {
            "project": access.project,
            "change": change,
            "option_form": asked_for(form),
            "item_forms": new_item_forms(change, access.project),
        }
        if request.htmx:
            return render(request, "projects/_option_add_form.html", context)
        return render(request, "projects/option_add.html", {**context, "back_url": url})
    form = ChangeOptionForm(request.POST, deliverables=in_scope(access.project), creating=True)
    item_forms = posted_items(request, access.project)
    if form.is_valid() and (item_forms is None or item_forms.is_valid()):
        try:
            option = services.change_option_create(
                request_id=change.pk,
                by=request.user,
                items=item_forms.option_items if item_forms else (),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Option {option.label} added.")
            return redirect(url + "#options")
    if item_forms is None:  # a client that sent no item rows: the page shows blank ones
        item_forms = new_item_forms(change, access.project)
    context = change_context(access, change, option_form=form, item_forms=item_forms)
    return render(request, "projects/change.html", context, status=422)


@require_http_methods(["GET", "POST"])
def option_edit(request: HttpRequest, slug: str, number: int, pk: int) -> HttpResponse:
    access, change = get_change_request(request.user, slug, number)
    access.require(
        access.can_edit, "Only the project manager and the project's editors edit options."
    )
    option = get_object_or_404(change.options.prefetch_related("descopes", "item_effects"), pk=pk)
    kwargs = {"deliverables": in_scope(access.project)}
    roadmap_items = roadmap_items_of(access.project)
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
        item_forms = option_item_formset(roadmap_items=roadmap_items, initial=saved_items(option))
        return render(
            request,
            "projects/option_form.html",
            {
                **context,
                "form": ChangeOptionForm(initial=initial, **kwargs),
                "item_forms": item_forms,
            },
        )
    form = ChangeOptionForm(request.POST, initial=initial, **kwargs)
    item_forms = posted_items(request, access.project, roadmap_items)
    context["item_forms"] = item_forms or option_item_formset(
        roadmap_items=roadmap_items, initial=saved_items(option)
    )
    if form.is_valid() and (item_forms is None or item_forms.is_valid()):
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
                items=item_forms.option_items if item_forms else None,
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
                        f"Option {option.label} accepted: the project, its baseline and the "
                        "roadmap moved.",
                    )
                    return redirect(url + "#decision")
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

"""The demo of `seed_demo`, with markers of private data, and a concrete path for every named
URL pattern filled with the demo's real objects, so the walkers reach pages that resolve."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from unittest import mock

from django.apps import apps
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import URLPattern, get_resolver, reverse

from products import services
from products.models import (
    Hypothesis,
    Kpi,
    KpiMeasurement,
    Product,
    ProductRisk,
    RoadmapImport,
    RoadmapItem,
)
from products.spreadsheets import read_table
from projects.models import (
    ChangeOption,
    ChangeRequest,
    CostLine,
    Deliverable,
    DeliverableDependency,
    Milestone,
    Project,
    ProjectRisk,
)
from roleplan.alignment.models import (
    ActionItem,
    AgendaEntry,
    CalendarToken,
    Decision,
    SyncMeeting,
    SyncSeries,
)
from roleplan.integrations import services as integrations_services
from roleplan.integrations.models import WEBHOOK_EVENTS, ApiToken, WebhookSubscription
from roleplan.ownership.models import Asset
from tests.core.test_access import walk
from tests.security.html import Form, forms

DEMO_PASSWORD = "demo-pass-for-security-tests"
PRODUCT_SLUG = "email-marketing-platform"
PROJECT_SLUG = "replace-legacy-email-system"
# The roles of DESIGN.md plus staff and nobody: each walks every page.
ROLES = ("staff", "product.manager", "project.manager", "stakeholder", "anonymous")

# Strings that exist only inside one private object, to look for in answers that must not
# carry them.
SYNC_NOTES_MARKER = "sync-notes-private-7f3a"
ACTION_MARKER = "action-item-private-5c1e"
DECISION_MARKER = "decision-private-9b2d"
STATEMENT_MARKER = "statement-of-work-private-4e8f"
VISION_MARKER = "vision-private-2a6c"
ASSET_MARKER = "asset-description-private-8d0b"


@dataclass
class Demo:
    users: dict[str, User]
    asset: Asset
    product: Product
    kpi: Kpi
    measurement: KpiMeasurement
    product_risk: ProductRisk
    item: RoadmapItem
    editor: User
    project: Project
    deliverable: Deliverable
    milestone: Milestone
    cost: CostLine
    project_risk: ProjectRisk
    change: ChangeRequest
    option: ChangeOption
    series: SyncSeries
    meeting: SyncMeeting
    entry: AgendaEntry
    action_item: ActionItem
    decision: Decision
    markers: dict[str, str] = field(default_factory=dict)


def seed() -> Demo:
    """Run seed_demo, add a staff member and an outsider, and plant one private marker in the
    sync notes, an action item, a decision, the statement of work, the vision and an asset."""
    with mock.patch.dict(os.environ, {"DEMO_PASSWORD": DEMO_PASSWORD}):
        call_command("seed_demo", stdout=io.StringIO())
    User.objects.create_user(
        "stella.staff", password=DEMO_PASSWORD, is_staff=True, is_superuser=True
    )
    User.objects.create_user("oscar.outsider", password=DEMO_PASSWORD)
    users = {u.username: u for u in User.objects.all()}
    users["staff"] = users["stella.staff"]
    users["outsider"] = users["oscar.outsider"]

    asset = Asset.objects.get(slug=PRODUCT_SLUG)
    product = Product.objects.get(asset=asset)
    project = Project.objects.get(slug=PROJECT_SLUG)
    # The pair's series (the product's owner and the project's manager): it covers every
    # active project the two share.
    series = SyncSeries.objects.get(
        product_manager=asset.owner_id, project_manager=project.manager_id
    )
    meeting = SyncMeeting.objects.filter(series=series).order_by("-starts_at").first()
    change = ChangeRequest.objects.filter(project=project, status="open").order_by("number").first()
    kpi = Kpi.objects.filter(product=product).order_by("pk").first()

    SyncMeeting.objects.filter(pk=meeting.pk).update(notes=f"Agreed: {SYNC_NOTES_MARKER}")
    action_item = ActionItem.objects.create(
        meeting=meeting,
        text=f"Check the sender domain {ACTION_MARKER}",
        owner=users["project.manager"],
        created_by=users["project.manager"],
    )
    decision = Decision.objects.create(
        meeting=meeting, text=f"Keep ABC {DECISION_MARKER}", made_by=users["product.manager"]
    )
    Project.objects.filter(pk=project.pk).update(
        statement_of_work=f"Replace the legacy system. {STATEMENT_MARKER}"
    )
    Product.objects.filter(pk=product.pk).update(vision=f"Every email counts. {VISION_MARKER}")
    Asset.objects.filter(pk=asset.pk).update(description=f"Campaigns. {ASSET_MARKER}")
    # A roadmap file waiting to be imported, for the import's review page and its forms.
    services.roadmap_upload(
        product=product,
        by=users["product.manager"],
        file_name="ideas.csv",
        table=read_table(b"Summary,Issue key,Custom field (Roadmap)\nSegment export,EMP-9,Next\n"),
    )

    # An API token and a webhook of the product manager, for the integrations' pages.
    integrations_services.token_create(user=users["product.manager"], name="Reporting script")
    WebhookSubscription.objects.create(
        owner=users["product.manager"],
        product=product,
        target_url="https://hooks.example.com/roleplan",
        events=[WEBHOOK_EVENTS[0]],
    )

    demo = Demo(
        users=users,
        asset=asset,
        product=product,
        kpi=kpi,
        measurement=KpiMeasurement.objects.filter(kpi=kpi).order_by("pk").first(),
        product_risk=ProductRisk.objects.filter(product=product).order_by("pk").first(),
        item=RoadmapItem.objects.filter(product=product).order_by("pk").first(),
        editor=product.editors.order_by("pk").first(),
        project=project,
        deliverable=Deliverable.objects.filter(project=project).order_by("pk").first(),
        milestone=Milestone.objects.filter(project=project).order_by("pk").first(),
        cost=CostLine.objects.filter(project=project).order_by("pk").first(),
        project_risk=ProjectRisk.objects.filter(project=project).order_by("pk").first(),
        change=change,
        option=ChangeOption.objects.filter(request=change).order_by("pk").first(),
        series=series,
        meeting=meeting,
        entry=AgendaEntry.objects.filter(meeting=meeting).order_by("pk").first(),
        action_item=action_item,
        decision=decision,
        markers={
            "sync": SYNC_NOTES_MARKER,
            "action": ACTION_MARKER,
            "decision": DECISION_MARKER,
            "statement": STATEMENT_MARKER,
            "vision": VISION_MARKER,
            "asset": ASSET_MARKER,
        },
    )
    # The comment on the sync and its notification, made now rather than by the first walk of
    # the routes (which would see them appear during a GET).
    activity_value(demo, "comment_id")
    return demo


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    params: tuple[str, ...]

    @property
    def namespace(self) -> str:
        return self.name.rpartition(":")[0]

    @property
    def short(self) -> str:
        return self.name.rpartition(":")[2]


def named_patterns() -> list[tuple[str, URLPattern]]:
    return [(name, entry) for name, _route, entry in walk(get_resolver()) if name]


def params_of(entry: URLPattern) -> tuple[str, ...]:
    return tuple(entry.pattern.regex.groupindex)


# Which demo object fills `pk` in the projects app, by the prefix of the URL name.
PROJECT_PK = {
    "deliverable": "deliverable",
    "dependency": "deliverable",  # dependency_remove: <pk> is the deliverable, <link> its link
    "milestone": "milestone",
    "cost": "cost",
    "risk": "project_risk",
    "option": "option",
}


def app_value(demo: Demo, namespace: str, short: str, param: str):
    """The demo object's key for one URL parameter of an app's route."""
    if param == "slug":
        if namespace == "activity":  # the Activity tabs of the demo's product and project
            return PRODUCT_SLUG if short.startswith("product") else PROJECT_SLUG
        return {"ownership": demo.asset.slug, "products": PRODUCT_SLUG}.get(namespace, PROJECT_SLUG)
    if param == "token" and short in {"unsubscribe", "resubscribe"}:  # alignment: signed
        from roleplan.alignment.reminders import unsubscribe_token

        return unsubscribe_token(demo.users["project.manager"].pk)
    simple = {
        "filename": PROJECT_SLUG,
        "kpi_id": demo.kpi.pk,
        "hypothesis_id": Hypothesis.objects.filter(product=demo.kpi.product_id)
        .order_by("pk")
        .first()
        .pk,
        "measurement_id": demo.measurement.pk,
        "risk_id": demo.product_risk.pk,
        "user_id": demo.editor.pk,
        "field": "title",
        "horizon": "now",  # a roadmap column (products:roadmap_column)
        "number": demo.change.number,
        "entry_id": demo.entry.pk,
        "series_id": demo.series.pk,
        "uidb64": "MQ",
        "token": "set-password",
    }
    if param in simple:
        return simple[param]
    if param == "token" and namespace == "alignment":
        return CalendarToken.objects.get_or_create(user=demo.users["product.manager"])[0].token
    if param == "action" and short == "calendar_change":
        return "regenerate"
    if param == "link":  # a dependency of the demo's deliverable (projects:dependency_remove)
        links = DeliverableDependency.objects.order_by("pk")
        link = links.filter(successor=demo.deliverable).first() or links.first()
        return link.pk if link else 1
    if param == "import_id":  # the roadmap file seed() uploaded (products:roadmap_import_*)
        return RoadmapImport.objects.filter(product=demo.product).earliest("pk").pk
    if namespace == "activity" and short == "history":  # a history: the demo's product risk
        return {"kind": "product-risk", "pk": demo.product_risk.pk}[param]
    if namespace == "activity":  # the thread of the demo's sync (private to its two people)
        return activity_value(demo, param)
    if param == "item_id":
        return demo.action_item.pk if namespace == "alignment" else demo.item.pk
    if param == "pk" and namespace == "integrations":  # the product manager's (seed())
        owned = ApiToken if short.startswith("token") else WebhookSubscription
        field = "user" if owned is ApiToken else "owner"
        return owned.objects.filter(**{field: demo.users["product.manager"]}).earliest("pk").pk
    if param == "pk" and namespace == "alignment":
        return demo.meeting.pk
    if param == "pk" and namespace == "projects":
        return getattr(demo, PROJECT_PK[short.split("_")[0]]).pk
    raise KeyError(
        f"tests/security/demo.py does not know how to fill <{param}> of {namespace}:{short}; "
        "teach app_value() which demo object it names"
    )


def activity_value(demo: Demo, param: str):
    """A comment on the demo's sync meeting carrying its private marker, and the notification
    it gave the project manager (made the first time)."""
    from roleplan.activity import services as activity_services
    from roleplan.activity.models import Comment, Notification
    from roleplan.activity.targets import TARGETS

    comment = Comment.objects.first() or activity_services.comment_add(
        target=TARGETS["meeting"],
        obj=demo.meeting,
        by=demo.users["product.manager"],
        body=f"@project.manager {SYNC_NOTES_MARKER}",
    )
    notification = Notification.objects.filter(recipient=demo.users["project.manager"]).first()
    return {
        "kind": "meeting",
        "pk": demo.meeting.pk,
        "comment_id": comment.pk,
        "notification_id": notification.pk,
    }[param]


def admin_kwargs(short: str, params: tuple[str, ...]) -> list[dict]:
    """Admin URLs: every app list, and each model's first object."""
    if "app_label" in params:
        return [
            {"app_label": label} for label in sorted({m._meta.app_label for m in _admin_models()})
        ]
    if "content_type_id" in params:
        asset = Asset.objects.order_by("pk").first()
        return [
            {"content_type_id": ContentType.objects.get_for_model(Asset).pk, "object_id": asset.pk}
        ]
    if not params:
        return [{}]
    app_label, _, rest = short.partition("_")
    for model in _admin_models():
        if model._meta.app_label == app_label and rest.startswith(model._meta.model_name + "_"):
            obj = model._default_manager.order_by("pk").first()
            if obj is None:
                return []  # nothing of this kind exists in the demo: no page to open
            return [dict.fromkeys(params, obj.pk)]
    raise KeyError(f"no admin model behind {short}")


def _admin_models():
    from django.contrib import admin

    return [m for m in apps.get_models() if admin.site.is_registered(m)]


def routes(demo: Demo) -> list[Route]:
    """Every named URL pattern once (admin ones once per object kind), as a real path."""
    result: list[Route] = []
    for name, entry in named_patterns():
        params = params_of(entry)
        namespace, _, short = name.rpartition(":")
        if namespace == "api":
            continue  # the JSON API has its own matrix over every operation (tests/integrations)
        if namespace == "admin":
            for kwargs in admin_kwargs(short, params):
                result.append(Route(name, reverse(name, kwargs=kwargs), params))
            continue
        kwargs = {p: app_value(demo, namespace, short, p) for p in params}
        result.append(Route(name, reverse(name, kwargs=kwargs), params))
    return result


# Forms only the product's owner is shown (staff see every other one).
OWNER_PAGES = ("ownership:asset", "projects:change")


def post_forms(client, demo: Demo) -> dict[str, tuple[str, Form]]:
    """Every POST form on the demo's pages (plain and htmx), by action path, with the user who
    was shown it: the data a person allowed to submit it would send."""
    found: dict[str, tuple[str, Form]] = {}
    for username in ("stella.staff", "product.manager"):
        client.force_login(demo.users[username])
        for route in routes(demo):
            if route.namespace in {"", "admin"}:
                continue
            if username != "stella.staff" and route.name not in OWNER_PAGES:
                continue
            for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                response = client.get(route.path, **headers)
                if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                    continue
                for form in forms(response.content.decode()):
                    action = form.action or route.path
                    if form.method == "post" and action.startswith("/"):
                        found.setdefault(action, (username, form))
    client.logout()
    return found

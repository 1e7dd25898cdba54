"""What people comment on, follow, are notified of and find: one entry per object type.

Each Target says, for one model of another app, how it is named in the address
(/comments/<slug>/<pk>/), what a person reads (title, context, address), who may see it, who
answers for it (told of its comments), and which larger objects' followers hear of it.

Who may see what follows each app's access rules (their access modules say why):
- products, roadmap items, hypotheses, product risks, projects, their scope, milestones, risks,
  change requests and decisions, and the ownership registry are visible to everyone signed in
  (products/access.py, projects/access.py, roleplan/ownership/access.py);
- a sync, its meetings' notes, action items and decisions are private to its two people and
  staff (roleplan/alignment/access.py): filtered here through the alignment querysets
  (`involving`), the same rule its pages apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import models
from django.db.models import Q, QuerySet
from django.urls import reverse

from products.models import Hypothesis, Product, ProductRisk, RoadmapItem
from projects.models import (
    ChangeDecision,
    ChangeRequest,
    Deliverable,
    Milestone,
    Project,
    ProjectRisk,
)
from roleplan.alignment.models import ActionItem, Decision, SyncMeeting, SyncSeries
from roleplan.ownership.models import Asset


def signed_in(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def thread_url(slug: str, pk: int) -> str:
    return reverse("activity:thread", args=[slug, pk])


def _meetings_of(user: User) -> QuerySet:
    return SyncMeeting.objects.involving(user).values("pk")


@dataclass(frozen=True)
class Target:
    slug: str
    label: str
    model: type[models.Model]
    title: Callable[[models.Model], str]
    url: Callable[[models.Model], str]
    context: Callable[[models.Model], str] = lambda obj: ""
    related: tuple[str, ...] = ()
    # Who answers for the object: told of every comment on it.
    owners: Callable[[models.Model], Iterable[int | None]] = lambda obj: ()
    # The larger objects whose followers hear of this one (a product's followers of its items).
    containers: Callable[[models.Model], Iterable[models.Model]] = lambda obj: ()
    # Private objects: the condition on the model for what `user` (not staff) may see, and
    # the people who may (staff aside). None: everyone signed in sees it.
    private: Callable[[User], Q] | None = None
    participants: Callable[[models.Model], Iterable[int]] = lambda obj: ()
    commentable: bool = True

    def visible(self, user: User) -> QuerySet:
        """The objects of this type that `user` may see."""
        objects = self.model._default_manager.all()
        if not signed_in(user):
            return objects.none()
        if self.private is None or user.is_staff:
            return objects
        return objects.filter(self.private(user))

    def get(self, user: User, pk: int) -> models.Model | None:
        """The object if it exists and `user` may see it, with what its title and address read."""
        return self.visible(user).select_related(*self.related).filter(pk=pk).first()

    def viewers(self, obj: models.Model) -> Q:
        """The condition on User of who may see `obj`."""
        active = Q(is_active=True)
        if self.private is None:
            return active
        return active & (Q(is_staff=True) | Q(pk__in=list(self.participants(obj))))


def _meeting_people(meeting: SyncMeeting) -> list[int]:
    return [person.pk for person in meeting.series.participants()]


def _product_of(obj) -> Product:
    return obj.product


TARGETS: dict[str, Target] = {
    t.slug: t
    for t in [
        Target(
            slug="product",
            label="Product",
            model=Product,
            related=("asset",),
            title=lambda p: p.asset.name,
            url=lambda p: reverse("products:detail", args=[p.asset.slug]),
            context=lambda p: "Product",
            owners=lambda p: [p.asset.owner_id],
        ),
        Target(
            slug="item",
            label="Roadmap item",
            model=RoadmapItem,
            related=("product__asset",),
            title=lambda i: i.title,
            url=lambda i: reverse("products:item", args=[i.product.asset.slug, i.pk]),
            context=lambda i: i.product.asset.name,
            owners=lambda i: [i.product.asset.owner_id],
            containers=lambda i: [i.product],
        ),
        Target(
            slug="hypothesis",
            label="Hypothesis",
            model=Hypothesis,
            related=("product__asset",),
            title=lambda h: h.short,
            url=lambda h: reverse("products:hypothesis", args=[h.product.asset.slug, h.pk]),
            context=lambda h: h.product.asset.name,
            owners=lambda h: [h.product.asset.owner_id],
            containers=lambda h: [h.product],
        ),
        Target(
            slug="product-risk",
            label="Product risk",
            model=ProductRisk,
            related=("product__asset",),
            title=lambda r: r.title,
            # The risk's own page is its edit form (editors only): everyone reads its thread.
            url=lambda r: thread_url("product-risk", r.pk),
            context=lambda r: r.product.asset.name,
            owners=lambda r: [r.product.asset.owner_id, r.owner_id],
            containers=lambda r: [r.product],
        ),
        Target(
            slug="project",
            label="Project",
            model=Project,
            related=("product__asset",),
            title=lambda p: p.name,
            url=lambda p: reverse("projects:detail", args=[p.slug]),
            context=lambda p: p.product.asset.name if p.product_id else "Project",
            owners=lambda p: [p.manager_id, p.product.asset.owner_id if p.product_id else None],
        ),
        Target(
            slug="deliverable",
            label="Deliverable",
            model=Deliverable,
            related=("project",),
            title=lambda d: d.title,
            url=lambda d: thread_url("deliverable", d.pk),
            context=lambda d: d.project.name,
            owners=lambda d: [d.project.manager_id],
            containers=lambda d: [d.project],
        ),
        Target(
            slug="project-risk",
            label="Project risk",
            model=ProjectRisk,
            related=("project",),
            title=lambda r: f"{r.code} {r.title}",
            url=lambda r: thread_url("project-risk", r.pk),
            context=lambda r: r.project.name,
            owners=lambda r: [r.project.manager_id, r.owner_id],
            containers=lambda r: [r.project],
        ),
        Target(
            slug="change",
            label="Change request",
            model=ChangeRequest,
            related=("project__product__asset",),
            title=lambda c: f"{c.code} {c.title}",
            url=lambda c: reverse("projects:change", args=[c.project.slug, c.number]),
            context=lambda c: c.project.name,
            owners=lambda c: [c.project.manager_id, c.project.product_owner_id, c.requested_by_id],
            containers=lambda c: [c.project],
        ),
        Target(
            slug="meeting",
            label="Sync meeting",
            model=SyncMeeting,
            related=("series__product_manager", "series__project_manager"),
            title=lambda m: str(m),
            url=lambda m: reverse("alignment:meeting", args=[m.pk]),
            context=lambda m: "Weekly sync",
            owners=_meeting_people,
            private=lambda user: Q(pk__in=_meetings_of(user)),
            participants=_meeting_people,
        ),
        # Found by search, not commented on.
        Target(
            slug="milestone",
            label="Milestone",
            model=Milestone,
            related=("project",),
            title=lambda m: m.title,
            url=lambda m: reverse("projects:timeline", args=[m.project.slug]),
            context=lambda m: m.project.name,
            commentable=False,
        ),
        Target(
            slug="change-decision",
            label="Decision",
            model=ChangeDecision,
            related=("request__project",),
            title=lambda d: f"{d.get_outcome_display()}: {d.request.code} {d.request.title}",
            url=lambda d: reverse(
                "projects:change", args=[d.request.project.slug, d.request.number]
            ),
            context=lambda d: d.request.project.name,
            commentable=False,
        ),
        Target(
            slug="sync",
            label="Weekly sync",
            model=SyncSeries,
            related=("product_manager", "project_manager"),
            title=lambda s: str(s),
            url=lambda s: reverse("alignment:index"),
            context=lambda s: "Weekly sync",
            private=lambda user: Q(pk__in=SyncSeries.objects.involving(user).values("pk")),
            commentable=False,
        ),
        Target(
            slug="action-item",
            label="Action item",
            model=ActionItem,
            related=("meeting__series__product_manager", "meeting__series__project_manager"),
            title=lambda a: a.text,
            url=lambda a: reverse("alignment:meeting", args=[a.meeting_id]),
            context=lambda a: str(a.meeting),
            private=lambda user: Q(meeting__in=_meetings_of(user)),
            participants=lambda a: _meeting_people(a.meeting),
            commentable=False,
        ),
        Target(
            slug="sync-decision",
            label="Sync decision",
            model=Decision,
            related=("meeting__series__product_manager", "meeting__series__project_manager"),
            title=lambda d: str(d),
            url=lambda d: reverse("alignment:meeting", args=[d.meeting_id]),
            context=lambda d: str(d.meeting),
            private=lambda user: Q(meeting__in=_meetings_of(user)),
            commentable=False,
        ),
        Target(
            slug="asset",
            label="Owned asset",
            model=Asset,
            title=lambda a: a.name,
            url=lambda a: reverse("ownership:asset", args=[a.slug]),
            context=lambda a: a.get_kind_display(),
            commentable=False,
        ),
    ]
}

COMMENTABLE = {slug: t for slug, t in TARGETS.items() if t.commentable}
BY_MODEL: dict[type[models.Model], Target] = {t.model: t for t in TARGETS.values()}


def target_of(obj: models.Model) -> Target | None:
    return BY_MODEL.get(type(obj))


def find(user: User, slug: str, pk: int) -> tuple[Target, models.Model] | None:
    """A commentable object `user` may see, with its Target; None for anything else (the
    views answer 404: a private object's existence is not theirs to know)."""
    target = COMMENTABLE.get(slug)
    obj = target.get(user, pk) if target is not None else None
    return (target, obj) if obj is not None else None

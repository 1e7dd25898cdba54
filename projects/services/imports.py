"""Importing a plan: a proposal read from an MS Project file (projects.mspdi_import) becomes a
proposed project with its deliverables, milestones, links and cost lines, in one transaction:
all of it or nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.db import transaction

from products.models import Product
from projects.models import (
    CostLine,
    Deliverable,
    DeliverableDependency,
    Milestone,
    MilestoneDependency,
    Moscow,
    Project,
)
from projects.services.plan import project_create
from roleplan.versioning import create_rows

if TYPE_CHECKING:  # the reader imports the services' loop check: no import back at run time
    from projects.mspdi_import import Proposal


@transaction.atomic
def plan_import(
    *, proposal: Proposal, by: User, manager: User, product: Product | None = None
) -> Project:
    project = project_create(
        by=by,
        name=proposal.name,
        manager=manager,
        product=product,
        start_date=proposal.start,
        deadline=proposal.deadline,
        budget=proposal.budget,
        currency=proposal.currency,
        statement_of_work="Imported from an MS Project plan.",
    )
    deliverables = create_rows(
        Deliverable,
        [
            Deliverable(
                project=project,
                title=t.name,
                description=t.description,
                status=t.status,
                estimate_days=t.estimate_days,
                start_date=t.start,
                due_date=t.finish,
                done_on=t.done_on,
                moscow=Moscow.MUST,
                owner=t.owner,
                group=t.group,
                updated_by=by,
            )
            for t in proposal.deliverables
        ],
        by=by,
    )
    ids = {t.uid: d.pk for t, d in zip(proposal.deliverables, deliverables, strict=True)}
    DeliverableDependency.objects.bulk_create(
        DeliverableDependency(
            predecessor_id=ids[link.predecessor],
            successor_id=ids[link.successor],
            lag_days=link.lag_days,
        )
        for link in proposal.links
    )
    milestones = create_rows(
        Milestone,
        [
            Milestone(
                project=project,
                title=m.name,
                description=m.description,
                due_date=m.finish,
                done_on=m.done_on,
                updated_by=by,
            )
            for m in proposal.milestones
        ],
        by=by,
    )
    mids = {m.uid: row.pk for m, row in zip(proposal.milestones, milestones, strict=True)}
    MilestoneDependency.objects.bulk_create(
        MilestoneDependency(
            predecessor_id=mids[link.predecessor], successor_id=mids[link.successor]
        )
        for link in proposal.milestone_links
    )
    create_rows(
        CostLine,
        [
            CostLine(
                project=project,
                category=c.category,
                description=c.description,
                planned=c.planned,
                actual=c.actual,
                date=c.date,
                updated_by=by,
            )
            for c in proposal.costs
        ],
        by=by,
    )
    return project

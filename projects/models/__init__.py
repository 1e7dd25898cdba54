"""Projects: the how, the when and the who, within a time box. The project's manager is the
project manager; the owner of the project's product (product.asset.owner) is the product manager.

Invariants the database holds (Meta.constraints here, triggers in migration 0003):
- a project's deadline is after its start, its budget is not negative, and it is active or done
  only with benefits, outcomes and an approved baseline;
- exactly one current baseline per project, one approval baseline per project, one baseline per
  decision; baselines and their items are never edited or deleted, except that the current flag
  is switched off when the next baseline is written;
- one decision per change request, taken only while the request is open; an accepted decision
  names an option, a rejected one does not; decisions are never edited or deleted;
- a change option says at most once what it does to a roadmap item, and names a horizon exactly
  when it sends the item back to one (descoped, deferred);
- at most one approval request of a project waits at a time; one sent back says why;
- a deliverable of the baseline leaves the scope outside a decision only with a reason, kept
  (ScopeRemoval);
- a dependency links two different deliverables of the same project, once (the same project:
  a trigger, migration 0006); cycles are refused by projects.services under the project's lock.
"""

from __future__ import annotations

from projects.models.changes import (
    LATER_HORIZONS,
    TO_A_HORIZON,
    ApprovalRequest,
    ApprovalRequestQuerySet,
    ApprovalStatus,
    Baseline,
    BaselineItem,
    BaselineKind,
    BaselineQuerySet,
    ChangeDecision,
    ChangeOption,
    ChangeOptionItem,
    ChangeRequest,
    ChangeRequestQuerySet,
    ChangeStatus,
    DecisionOutcome,
    HealthRecord,
    ItemEffect,
    RemovalKind,
    ScopeRemoval,
)
from projects.models.plan import (
    COMMITTED_STATUSES,
    GROUP_SEP,
    MAX_LAG_DAYS,
    CostCategory,
    CostLine,
    Deliverable,
    DeliverableDependency,
    DeliverableQuerySet,
    DeliverableStatus,
    DeliveryProgress,
    Methodology,
    Milestone,
    MilestoneDependency,
    Moscow,
    Project,
    ProjectQuerySet,
    ProjectRisk,
    ProjectStatus,
    RiskCategory,
    RiskStatus,
    risk_level,
    with_delivery_progress,
)

__all__ = [
    "ApprovalRequest",
    "ApprovalRequestQuerySet",
    "ApprovalStatus",
    "Baseline",
    "BaselineItem",
    "BaselineKind",
    "BaselineQuerySet",
    "COMMITTED_STATUSES",
    "ChangeDecision",
    "ChangeOption",
    "ChangeOptionItem",
    "ChangeRequest",
    "ChangeRequestQuerySet",
    "ChangeStatus",
    "CostCategory",
    "CostLine",
    "DecisionOutcome",
    "Deliverable",
    "DeliverableDependency",
    "DeliverableQuerySet",
    "DeliverableStatus",
    "DeliveryProgress",
    "GROUP_SEP",
    "HealthRecord",
    "ItemEffect",
    "LATER_HORIZONS",
    "MAX_LAG_DAYS",
    "Methodology",
    "Milestone",
    "MilestoneDependency",
    "Moscow",
    "Project",
    "ProjectQuerySet",
    "ProjectRisk",
    "ProjectStatus",
    "RemovalKind",
    "RiskCategory",
    "RiskStatus",
    "ScopeRemoval",
    "TO_A_HORIZON",
    "risk_level",
    "with_delivery_progress",
]

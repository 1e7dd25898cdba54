"""Writes on projects. Every function takes keyword arguments and runs in one transaction
(except approval_email_send, which says why); plan.py holds the writes on a project's plan
and its approval, changes.py those on change requests and decisions.

Locking order, everywhere: the project row first, then the change request, then the row being
edited. Edits are compare-and-set on the row's version (roleplan.versioning.lock_for_edit): a
stale edit raises StaleEdit carrying the row as it is now and what the person sent, and nothing
is written.

The baseline moves in exactly two places: project_approve (the first baseline, usually after
the project manager asked for it with approval_request) and change_request_decide with an
accepted option (the next one). Nothing else writes a Baseline. A decision also moves the
roadmap: the items its option touches change status and horizon through products.services, in
the same transaction, and the project's deliverables traced to them come in or leave the scope.
After the baseline, a deliverable it holds leaves the scope only through a decision, or by the
product's owner with a reason (deliverable_remove): deliverable_update and deliverable_delete
refuse it (ScopeGuarded).

What other apps may react to is announced through roleplan.events, after the transaction
commits: a project's status, product or manager changing (PROJECT_CHANGED: the weekly sync of
an active project's pair of people), a baseline written, a change request raised or decided.
"""

from __future__ import annotations

from projects.services.changes import (
    OptionItem,
    change_option_create,
    change_option_delete,
    change_option_update,
    change_request_create,
    change_request_decide,
    change_request_withdraw,
)
from projects.services.dependencies import (
    deliverable_dependency_add,
    deliverable_dependency_remove,
    loop_through,
)
from projects.services.imports import plan_import
from projects.services.plan import (
    BASELINED_FIELDS,
    FUTURE_ACTUAL,
    Refused,
    ScopeGuarded,
    approval_email_send,
    approval_request,
    approval_return,
    baseline_holding,
    check_status_allowed,
    cost_line_create,
    cost_line_delete,
    cost_line_update,
    deliverable_create,
    deliverable_delete,
    deliverable_remove,
    deliverable_update,
    milestone_create,
    milestone_delete,
    milestone_update,
    project_approve,
    project_create,
    project_update,
    risk_create,
    risk_delete,
    risk_update,
)

__all__ = [
    "BASELINED_FIELDS",
    "FUTURE_ACTUAL",
    "OptionItem",
    "Refused",
    "ScopeGuarded",
    "approval_email_send",
    "approval_request",
    "approval_return",
    "baseline_holding",
    "change_option_create",
    "change_option_delete",
    "change_option_update",
    "change_request_create",
    "change_request_decide",
    "change_request_withdraw",
    "check_status_allowed",
    "cost_line_create",
    "cost_line_delete",
    "cost_line_update",
    "deliverable_create",
    "deliverable_delete",
    "deliverable_dependency_add",
    "deliverable_dependency_remove",
    "deliverable_remove",
    "deliverable_update",
    "loop_through",
    "milestone_create",
    "milestone_delete",
    "milestone_update",
    "plan_import",
    "project_approve",
    "project_create",
    "project_update",
    "risk_create",
    "risk_delete",
    "risk_update",
]

"""Who may do what on a project. Roles are facts about the project, not flags on users:

- whoever holds the planner permission (products.access.can_plan: ownership.plan, or staff)
  creates projects;
- the project manager (project.manager), staff and the project's editors edit the project:
  its fields, scope, milestones, costs, risks, and the options of change requests; they ask
  the product's owner to approve the baseline, and raise change requests (to take baselined
  scope out, say);
- the owner of the project's product (project.product.asset.owner), the product manager, asks
  for changes and decides them, approves the baseline or sends it back, and may take baselined
  scope out without a change request, saying why;
- everyone else signed in views. Projects are not private: unknown slugs get 404, forbidden
  actions get 403.

Every view goes through get_project(), then asks the returned ProjectAccess.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from products.access import can_plan
from projects.models import ChangeRequest, Project, ProjectStatus

CLOSED_STATUSES = (ProjectStatus.DONE, ProjectStatus.CANCELLED)

# Who may start projects: the planner permission (ownership.plan), the same rule as for
# registering products (products.access.can_plan: staff too).
PLANNER_REFUSAL = (
    "Creating a project needs the planner permission, which your account does not have. Staff "
    "grant it in the admin (Users, or a group: “Ownership registry | asset | Can create "
    "products and projects”); the product and project managers usually have it."
)


def require_planner(user: User) -> None:
    if not can_plan(user):
        raise PermissionDenied(PLANNER_REFUSAL)


@dataclass(frozen=True)
class ProjectAccess:
    project: Project
    user: User

    @property
    def is_manager(self) -> bool:
        return self.user.pk == self.project.manager_id

    @property
    def is_product_owner(self) -> bool:
        owner_id = self.project.product_owner_id
        return owner_id is not None and owner_id == self.user.pk

    @cached_property  # the project page asks once per row: hundreds of times per page
    def can_edit(self) -> bool:
        user = self.user
        if not (user.is_authenticated and user.is_active):
            return False
        if user.is_staff or self.is_manager:
            return True
        annotated = getattr(self.project, "user_is_editor", None)
        if annotated is not None:
            return bool(annotated)
        return self.project.editors.filter(pk=user.pk).exists()

    @property
    def can_approve(self) -> bool:
        """The product manager commits to the baseline; without a product, the project
        manager or staff do."""
        if self.project.is_approved or not self.user.is_active:
            return False
        if self.project.product_id:
            return self.is_product_owner or self.user.is_staff
        return self.is_manager or self.user.is_staff

    @property
    def can_request_change(self) -> bool:
        return (
            (self.is_product_owner or self.can_edit)
            and self.user.is_active
            and self.project.is_approved
            and self.project.status not in CLOSED_STATUSES
        )

    @property
    def can_ask_approval(self) -> bool:
        """The project's people ask the product's owner (a project without a product is
        approved by its manager directly)."""
        return (
            self.can_edit
            and bool(self.project.product_id)
            and not self.is_product_owner
            and not self.project.is_approved
            and self.project.status not in CLOSED_STATUSES
        )

    @property
    def can_remove_scope(self) -> bool:
        """Take baselined scope out without a change request, saying why."""
        return self.is_product_owner and self.user.is_active and self.project.is_approved

    @property
    def can_decide(self) -> bool:
        return self.is_product_owner and self.user.is_active

    def require(self, allowed: bool, message: str) -> None:
        if not allowed:
            raise PermissionDenied(message)


def get_project(user: User, slug: str) -> ProjectAccess:
    """The project and what `user` may do with it; 404 for an unknown slug."""
    project = get_object_or_404(Project.objects.for_page(user), slug=slug)
    return ProjectAccess(project=project, user=user)


def get_project_for_edit(user: User, slug: str) -> ProjectAccess:
    access = get_project(user, slug)
    access.require(
        access.can_edit, "Only the project manager, the project's editors and staff can edit it."
    )
    return access


def get_change_request(user: User, slug: str, number: int) -> tuple[ProjectAccess, ChangeRequest]:
    access = get_project(user, slug)
    request = get_object_or_404(
        ChangeRequest.objects.select_related(
            "requested_by",
            "roadmap_item",
            "kpi",
            "decision__decided_by",
            "decision__option",
            "decision__baseline",
        ),
        project=access.project,
        number=number,
    )
    request.project = access.project
    return access, request

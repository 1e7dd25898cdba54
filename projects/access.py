"""Who may do what on a project. Roles are facts about the project, not flags on users:

- the project manager (project.manager), staff and the project's editors edit the project:
  its fields, scope, milestones, costs, risks, and the options of change requests;
- the owner of the project's product (project.product.asset.owner), the product manager, asks
  for changes and decides them, and approves the baseline;
- everyone else signed in views. Projects are not private: unknown slugs get 404, forbidden
  actions get 403.

Every view goes through get_project(), then asks the returned ProjectAccess.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404

from products.models import Product
from projects.models import PERSON_COLUMNS, ChangeRequest, Project, ProjectStatus
from roleplan import db
from roleplan.ownership.models import Asset

CLOSED_STATUSES = (ProjectStatus.DONE, ProjectStatus.CANCELLED)


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
            self.is_product_owner
            and self.user.is_active
            and self.project.is_approved
            and self.project.status not in CLOSED_STATUSES
        )

    @property
    def can_decide(self) -> bool:
        return self.is_product_owner and self.user.is_active

    def require(self, allowed: bool, message: str) -> None:
        if not allowed:
            raise PermissionDenied(message)


def get_project(user: User, slug: str) -> ProjectAccess:
    """The project and what `user` may do with it; 404 for an unknown slug."""
    if connection.vendor == "postgresql":
        project = project_for_page(user, slug)
        if project is None:
            raise Http404("No project here.")
    else:
        project = get_object_or_404(Project.objects.for_page(user), slug=slug)
    return ProjectAccess(project=project, user=user)


# Project.objects.for_page(user) as one prepared statement (PostgreSQL): the same columns, the
# same instances, without the ORM's ~1.5 ms of CPU to build and compile the query and ~0.5 ms of
# PostgreSQL's to plan it, on every project page. tests/projects/test_access.py holds the two to
# the same answer.
PEOPLE = ("owner", "manager", "approved_by")


PERSON_FIELDS = db.in_model_order(User, {"id", *PERSON_COLUMNS})
ASSET_FIELDS = db.in_model_order(Asset, {"id", "name", "slug", "owner_id"})
PRODUCT_FIELDS = db.in_model_order(Product, {"id", "asset_id"})


def _page_sql() -> str:
    project = [f'p."{f.column}"' for f in Project._meta.concrete_fields]
    people = [f'{who}."{name}"' for who in PEOPLE for name in PERSON_FIELDS]
    return (
        f"SELECT {', '.join(project)},"
        f" EXISTS (SELECT 1 FROM {Project.editors.through._meta.db_table} e"
        " WHERE e.project_id = p.id AND e.user_id = %(user)s),"
        f" {', '.join(f'pr.{name}' for name in PRODUCT_FIELDS)},"
        f" {', '.join(f'a.{name}' for name in ASSET_FIELDS)},"
        f" {', '.join(people)}"
        f" FROM {Project._meta.db_table} p"
        f" LEFT JOIN {Product._meta.db_table} pr ON pr.id = p.product_id"
        f" LEFT JOIN {Asset._meta.db_table} a ON a.id = pr.asset_id"
        f" LEFT JOIN {User._meta.db_table} owner ON owner.id = a.owner_id"
        f" JOIN {User._meta.db_table} manager ON manager.id = p.manager_id"
        f" LEFT JOIN {User._meta.db_table} approved_by ON approved_by.id = p.approved_by_id"
        " WHERE p.slug = %(slug)s"
    )


PAGE_SQL = _page_sql()
PROJECT_FIELDS = [f.attname for f in Project._meta.concrete_fields]


def _person(values) -> User | None:
    return None if values[0] is None else User.from_db(connection.alias, PERSON_FIELDS, values)


def project_for_page(user: User, slug: str) -> Project | None:
    ((*rows,),) = db.fetch_many([(PAGE_SQL, {"user": user.pk, "slug": slug})])
    if not rows:
        return None
    project_values, (is_editor,), product_values, asset_values, *people = db.split_row(
        rows[0],
        len(PROJECT_FIELDS),
        1,
        len(PRODUCT_FIELDS),
        len(ASSET_FIELDS),
        *[len(PERSON_FIELDS)] * len(PEOPLE),
    )
    project = Project.from_db(connection.alias, PROJECT_FIELDS, project_values)
    project.user_is_editor = is_editor
    owner, manager, approved_by = (_person(values) for values in people)
    product = None
    if product_values[0] is not None:
        product = Product.from_db(connection.alias, PRODUCT_FIELDS, product_values)
        asset = Asset.from_db(connection.alias, ASSET_FIELDS, asset_values)
        Asset._meta.get_field("owner").set_cached_value(asset, owner)
        Product._meta.get_field("asset").set_cached_value(product, asset)
    Project._meta.get_field("product").set_cached_value(project, product)
    Project._meta.get_field("manager").set_cached_value(project, manager)
    Project._meta.get_field("approved_by").set_cached_value(project, approved_by)
    return project


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

"""The access helpers' rules read directly, for the cases no page reaches on its own: a signed-in
person whose account was deactivated mid-session, and a project loaded without the per-user
annotation that the pages add (any code that builds a ProjectAccess by hand)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from products.access import can_manage_editors
from projects.access import ProjectAccess
from projects.models import Project
from tests.factories import UserFactory
from tests.projects.factories import ProjectFactory, make_product

pytestmark = pytest.mark.django_db


def test_a_deactivated_product_owner_can_no_longer_manage_editors():
    owner = UserFactory()
    product = make_product(owner=owner)
    assert can_manage_editors(owner, product)
    owner.is_active = False
    assert not can_manage_editors(owner, product)
    assert not can_manage_editors(AnonymousUser(), product)
    assert can_manage_editors(UserFactory(is_staff=True), product)
    assert not can_manage_editors(UserFactory(), product)


def test_a_deactivated_or_anonymous_user_cannot_edit_a_project_even_as_its_manager():
    project = ProjectFactory()
    manager = project.manager
    assert ProjectAccess(project=project, user=manager).can_edit
    manager.is_active = False
    assert not ProjectAccess(project=project, user=manager).can_edit
    assert not ProjectAccess(project=project, user=AnonymousUser()).can_edit


def test_without_the_page_annotation_editors_are_read_from_the_database():
    project = ProjectFactory()
    editor, stranger = UserFactory(), UserFactory()
    project.editors.add(editor)
    plain = Project.objects.get(pk=project.pk)  # no user_is_editor annotation
    assert not hasattr(plain, "user_is_editor")
    assert ProjectAccess(project=plain, user=editor).can_edit
    assert not ProjectAccess(project=plain, user=stranger).can_edit

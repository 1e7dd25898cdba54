"""The token and webhook pages, their access rules (roleplan/integrations/access.py) and
`manage.py create_api_token`: what a person sees and may do, and what others are refused."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.http import Http404
from django.urls import reverse

from roleplan.integrations import access
from roleplan.integrations.models import ApiToken, WebhookDelivery, WebhookSubscription
from roleplan.integrations.services import subscription_create, token_create
from tests.factories import UserFactory
from tests.products.factories import make_product
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hook"  # never called: the tests read the log, no worker runs


@pytest.fixture(autouse=True)
def private_targets(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # the address above is loopback


@pytest.fixture
def people():
    return {
        "owner": UserFactory(username="olga.owner"),
        "editor": UserFactory(username="eddie.editor"),
        "manager": UserFactory(username="mona.manager"),
        "outsider": UserFactory(username="otto.outsider"),
        "staff": UserFactory(username="stella.staff", is_staff=True),
    }


@pytest.fixture
def scope(people):
    product = make_product(owner=people["owner"], name="Email", editors=[people["editor"]])
    project = ProjectFactory(name="Black Friday", product=product, manager=people["manager"])
    return product, project


def signed_in(client, user):
    client.force_login(user)
    return client


# -- tokens -----------------------------------------------------------------------------------


def test_a_token_is_shown_once_then_listed_by_its_prefix_and_revoked(client, people):
    signed_in(client, people["owner"])
    response = client.post(
        reverse("integrations:tokens"),
        {"name": "Jira sync", "can_write": "on", "expires_in_days": "30"},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=people["owner"])
    text = response.context["created_text"]
    assert text.startswith(token.prefix)
    assert text in response.content.decode()
    assert token.can_write
    assert token.expires_at is not None

    page = client.get(reverse("integrations:tokens")).content.decode()
    assert "Jira sync" in page
    assert token.prefix in page
    assert text not in page

    response = client.post(reverse("integrations:token_revoke", args=[token.pk]), follow=True)
    assert "Token “Jira sync” revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_token_needs_a_name_and_the_form_keeps_the_rest(client, people):
    signed_in(client, people["owner"])
    response = client.post(
        reverse("integrations:tokens"), {"name": "   ", "can_write": "on", "expires_in_days": ""}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["name"]
    assert response.context["form"]["can_write"].value() is True
    assert not ApiToken.objects.exists()


def test_someone_elses_token_is_not_found_and_stays(client, people):
    token, _text = token_create(user=people["owner"], name="mine")
    signed_in(client, people["outsider"])
    response = client.post(reverse("integrations:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "mine" not in client.get(reverse("integrations:tokens")).content.decode()


# -- create_api_token ---------------------------------------------------------------------------


def test_the_command_prints_a_working_token_once(people, client):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_token", "olga.owner", "--write", "--expires", "7", stdout=out, stderr=err
    )
    text = out.getvalue().strip()
    assert "read and write" in err.getvalue()
    assert "expires" in err.getvalue()
    token = ApiToken.objects.get(user=people["owner"])
    assert token.can_write
    assert token.name == "Created with manage.py"
    assert text.startswith(token.prefix)
    assert text not in err.getvalue()
    answer = client.get("/api/v1/products", HTTP_AUTHORIZATION=f"Bearer {text}")
    assert answer.status_code == 200


def test_the_command_makes_a_read_only_token_that_never_expires_by_default(people):
    err = io.StringIO()
    call_command("create_api_token", "olga.owner", stdout=io.StringIO(), stderr=err)
    token = ApiToken.objects.get(user=people["owner"])
    assert (token.can_write, token.expires_at) == (False, None)
    assert "read only" in err.getvalue()
    assert "expires" not in err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "No active user named 'nobody'."),
        (["olga.owner", "--expires", "0"], "--expires takes a number of days, at least 1."),
    ],
)
def test_the_command_refuses_an_unknown_person_or_no_days(people, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("create_api_token", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiToken.objects.exists()


# -- who may manage a webhook --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "product_hook", "project_hook", "installation_hook"),
    [
        ("owner", True, False, False),
        ("editor", True, False, False),
        ("manager", False, True, False),
        ("outsider", False, False, False),
        ("staff", True, True, True),
    ],
)
def test_who_may_manage_which_subscription(
    people, scope, who, product_hook, project_hook, installation_hook
):
    product, project = scope
    hooks = {
        "product": subscription_create(
            owner=people["owner"], product=product, target_url=URL, kind="standard", events=["x"]
        ),
        "project": subscription_create(
            owner=people["manager"], project=project, target_url=URL, kind="standard", events=["x"]
        ),
        "installation": subscription_create(
            owner=people["staff"], target_url=URL, kind="standard", events=["x"]
        ),
    }
    user = people[who]
    allowed = {"product": product_hook, "project": project_hook, "installation": installation_hook}
    for name, subscription in hooks.items():
        assert access.can_manage(user, subscription) is allowed[name], name
        if allowed[name]:
            assert access.get_subscription_for_edit(user, subscription.pk) == subscription
        else:
            with pytest.raises(Http404):
                access.get_subscription_for_edit(user, subscription.pk)


def test_nobody_signed_out_or_deactivated_manages_a_subscription(people, scope):
    from django.contrib.auth.models import AnonymousUser

    product, _project = scope
    hook = subscription_create(
        owner=people["owner"], product=product, target_url=URL, kind="standard", events=["x"]
    )
    assert access.can_manage(AnonymousUser(), hook) is False
    people["owner"].is_active = False
    assert access.can_manage(people["owner"], hook) is False


def test_a_missing_subscription_is_not_found(people):
    with pytest.raises(Http404):
        access.get_subscription_for_edit(people["staff"], 999_999)


def test_the_list_shows_ones_own_and_staff_sees_all(people, scope):
    product, project = scope
    mine = subscription_create(
        owner=people["owner"], product=product, target_url=URL, kind="standard", events=["x"]
    )
    theirs = subscription_create(
        owner=people["manager"], project=project, target_url=URL, kind="standard", events=["x"]
    )
    assert list(access.subscriptions_for(people["owner"])) == [mine]
    assert set(access.subscriptions_for(people["staff"])) == {mine, theirs}


def test_a_scope_is_refused_to_those_who_may_not_change_it(people, scope):
    from django.core.exceptions import PermissionDenied

    product, project = scope
    assert access.get_scope_for_edit(people["owner"], product=product.slug, project=None) == (
        product,
        None,
    )
    assert access.get_scope_for_edit(people["manager"], product=None, project=project.slug) == (
        None,
        project,
    )
    assert access.get_scope_for_edit(people["staff"], product=None, project=None) == (None, None)
    with pytest.raises(PermissionDenied):
        access.get_scope_for_edit(people["manager"], product=product.slug, project=None)
    with pytest.raises(PermissionDenied):
        access.get_scope_for_edit(people["owner"], product=None, project=project.slug)
    with pytest.raises(Http404):
        access.get_scope_for_edit(people["owner"], product=None, project=None)


# -- the webhook pages ---------------------------------------------------------------------------


def test_a_product_owner_adds_a_webhook_for_her_product_and_manages_it(client, people, scope):
    product, _project = scope
    signed_in(client, people["owner"])
    page = client.get(reverse("integrations:webhook_new") + f"?product={product.slug}")
    assert page.status_code == 200
    form = page.context["form"]
    assert form["scope"].value() == f"product:{product.slug}"
    choices = dict(form.fields["scope"].choices)
    assert "" not in choices  # the whole installation is staff's
    assert f"project:{'black-friday'}" not in choices

    response = client.post(
        reverse("integrations:webhook_new"),
        {
            "scope": f"product:{product.slug}",
            "target_url": URL,
            "kind": "standard",
            "events": ["products.roadmap_item_created"],
        },
    )
    hook = WebhookSubscription.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("integrations:subscription", args=[hook.pk])
    assert (hook.product, hook.owner, hook.events) == (
        product,
        people["owner"],
        ["products.roadmap_item_created"],
    )

    page = client.get(reverse("integrations:subscription", args=[hook.pk])).content.decode()
    assert URL in page
    assert "Roadmap item created" in page

    client.post(reverse("integrations:subscription_test", args=[hook.pk]))
    delivery = WebhookDelivery.objects.get(subscription=hook)
    log = client.get(reverse("integrations:subscription", args=[hook.pk]))
    assert list(log.context["page"].object_list) == [delivery]
    assert log.context["page"].object_list[0].label == "Test event"

    secret = hook.secret
    client.post(reverse("integrations:subscription_rotate", args=[hook.pk]))
    hook.refresh_from_db()
    assert hook.secret != secret

    response = client.post(reverse("integrations:subscription_toggle", args=[hook.pk]), follow=True)
    assert "Webhook turned off." in response.content.decode()
    hook.refresh_from_db()
    assert hook.is_active is False
    response = client.post(reverse("integrations:subscription_toggle", args=[hook.pk]), follow=True)
    assert "Webhook turned on." in response.content.decode()

    response = client.post(
        reverse("integrations:subscription", args=[hook.pk]),
        {"target_url": URL + "2", "kind": "slack", "events": ["products.roadmap_item_moved"]},
    )
    assert response.status_code == 302
    hook.refresh_from_db()
    assert (hook.target_url, hook.kind, hook.events) == (
        URL + "2",
        "slack",
        ["products.roadmap_item_moved"],
    )

    response = client.post(reverse("integrations:subscription_delete", args=[hook.pk]))
    assert response["Location"] == reverse("integrations:webhooks")
    assert not WebhookSubscription.objects.exists()


def test_a_project_is_preselected_and_staff_may_choose_the_installation(client, people, scope):
    _product, project = scope
    signed_in(client, people["staff"])
    page = client.get(reverse("integrations:webhook_new") + f"?project={project.slug}")
    assert page.context["form"]["scope"].value() == f"project:{project.slug}"
    assert "" in dict(page.context["form"].fields["scope"].choices)
    response = client.post(
        reverse("integrations:webhook_new"),
        {"scope": "", "target_url": URL, "kind": "teams", "events": ["ownership.handover_done"]},
    )
    assert response.status_code == 302
    hook = WebhookSubscription.objects.get()
    assert (hook.product, hook.project, hook.kind) == (None, None, "teams")
    listing = client.get(reverse("integrations:webhooks")).content.decode()
    assert URL in listing


def test_a_refused_address_is_named_next_to_the_field_and_nothing_is_kept(
    client, people, scope, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    product, _project = scope
    signed_in(client, people["owner"])
    response = client.post(
        reverse("integrations:webhook_new"),
        {
            "scope": f"product:{product.slug}",
            "target_url": URL,
            "kind": "standard",
            "events": ["products.roadmap_item_created"],
        },
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "public addresses only" in errors["target_url"][0]
    assert response.context["form"]["events"].value() == ["products.roadmap_item_created"]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("name", ["subscription", "subscription_test", "subscription_delete"])
def test_an_outsider_finds_no_webhook(client, people, scope, name):
    product, _project = scope
    hook = subscription_create(
        owner=people["owner"], product=product, target_url=URL, kind="standard", events=["x"]
    )
    signed_in(client, people["outsider"])
    method = client.get if name == "subscription" else client.post
    assert method(reverse(f"integrations:{name}", args=[hook.pk])).status_code == 404
    assert WebhookSubscription.objects.filter(pk=hook.pk).exists()
    assert not WebhookDelivery.objects.exists()

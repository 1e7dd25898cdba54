"""Comment threads: who may read and write them, replies, edits, deletes, mentions, XSS."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roleplan.activity import services
from roleplan.activity.models import Comment, Mention
from roleplan.activity.targets import TARGETS
from tests.factories import UserFactory

HX = {"HTTP_HX_REQUEST": "true"}


def thread_url(kind: str, obj) -> str:
    return reverse("activity:thread", args=[kind, obj.pk])


def comment(world, by, body: str, **kwargs) -> Comment:
    return services.comment_add(
        target=TARGETS["product"], obj=world.product, by=by, body=body, **kwargs
    )


@pytest.mark.parametrize("who", ["owner", "editor", "viewer", "outsider", "staff"])
def test_everyone_signed_in_reads_and_writes_comments_on_a_product(client, world, who, request):
    person = request.getfixturevalue(who)
    client.force_login(person)
    url = thread_url("product", world.product)
    response = client.post(url, {"body": f"A word from {who}"}, **HX)
    assert response.status_code == 200
    assert f"A word from {who}" in response.content.decode()
    assert Comment.objects.get().author == person


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("editor", 200), ("staff", 200), ("viewer", 404), ("outsider", 404)],
)
def test_only_the_syncs_two_people_and_staff_reach_its_thread(client, world, who, status, request):
    client.force_login(request.getfixturevalue(who))
    url = thread_url("meeting", world.meeting)
    assert client.get(url, **HX).status_code == status
    assert client.post(url, {"body": "Hello"}, **HX).status_code == status
    assert (
        client.get(reverse("activity:people", args=["meeting", world.meeting.pk])).status_code
        == status
    )


def test_a_signed_out_visitor_is_sent_to_sign_in(client, world):
    response = client.get(thread_url("product", world.product))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_an_unknown_kind_or_object_is_a_404(client, world, owner):
    client.force_login(owner)
    assert client.get(reverse("activity:thread", args=["milestone", 1])).status_code == 404
    assert client.get(reverse("activity:thread", args=["product", 99999])).status_code == 404


def test_a_reply_to_a_reply_joins_the_first_comments_thread(world, owner, viewer):
    first = comment(world, owner, "Shall we keep ABC?")
    reply = comment(world, viewer, "Yes", parent_id=first.pk)
    second = comment(world, owner, "Agreed", parent_id=reply.pk)
    assert reply.parent == first
    assert second.parent == first


def test_the_thread_shows_replies_under_their_comment(client, world, owner, viewer):
    first = comment(world, owner, "Shall we keep ABC?")
    comment(world, viewer, "Yes, and XYZ later", parent_id=first.pk)
    client.force_login(viewer)
    html = client.get(thread_url("product", world.product), **HX).content.decode()
    replies = html.split('class="comment-replies"')[1]
    assert "Yes, and XYZ later" in replies
    assert html.count("<article") == 2


def test_an_empty_comment_is_refused_and_the_form_says_so(client, world, owner):
    client.force_login(owner)
    response = client.post(thread_url("product", world.product), {"body": "   "}, **HX)
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Comment.objects.exists()


def test_a_non_htmx_comment_redirects_to_the_object(client, world, owner):
    client.force_login(owner)
    response = client.post(thread_url("product", world.product), {"body": "Plain form"})
    assert response.status_code == 302
    assert response["Location"].startswith(world.product.get_absolute_url())


def test_the_author_edits_their_comment_and_it_says_edited(client, world, owner):
    first = comment(world, owner, "Frist")
    client.force_login(owner)
    url = reverse("activity:edit", args=[first.pk])
    assert "Frist" in client.get(url, **HX).content.decode()
    response = client.post(url, {"body": "First", "version": first.version}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "First" in html
    assert "edited" in html
    first.refresh_from_db()
    assert (first.body, first.version) == ("First", 2)


def test_someone_else_cannot_edit_a_comment(client, world, owner, viewer):
    first = comment(world, owner, "Mine")
    client.force_login(viewer)
    url = reverse("activity:edit", args=[first.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"body": "Yours", "version": 1}).status_code == 403
    first.refresh_from_db()
    assert first.body == "Mine"


def test_a_stale_edit_shows_the_saved_text_and_keeps_the_input(client, world, owner):
    first = comment(world, owner, "One")
    services.comment_edit(
        target=TARGETS["product"],
        obj=world.product,
        comment_id=first.pk,
        version=1,
        by=owner,
        body="Two",
    )
    client.force_login(owner)
    response = client.post(
        reverse("activity:edit", args=[first.pk]), {"body": "Three", "version": 1}, **HX
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Two" in html
    assert "Three" in html
    first.refresh_from_db()
    assert first.body == "Two"


def test_deleting_leaves_a_mark_and_keeps_the_replies(client, world, owner, viewer):
    first = comment(world, owner, "Secret plan")
    comment(world, viewer, "Nice", parent_id=first.pk)
    client.force_login(owner)
    response = client.post(reverse("activity:delete", args=[first.pk]), **HX)
    html = response.content.decode()
    assert "This comment was deleted." in html
    assert "Secret plan" not in html
    assert "Nice" in html
    first.refresh_from_db()
    assert first.body == ""
    assert first.deleted_at is not None


def test_only_the_author_or_staff_deletes(client, world, owner, viewer, staff):
    first = comment(world, owner, "Keep me")
    client.force_login(viewer)
    assert client.post(reverse("activity:delete", args=[first.pk])).status_code == 403
    client.force_login(staff)
    assert client.post(reverse("activity:delete", args=[first.pk])).status_code == 302
    first.refresh_from_db()
    assert first.is_deleted


XSS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
]


@pytest.mark.parametrize("payload", XSS)
def test_a_comment_payload_is_shown_inert(client, world, owner, payload):
    client.force_login(owner)
    html = client.post(
        thread_url("product", world.product), {"body": f"Look {payload}"}, **HX
    ).content.decode()
    body = html.split('class="comment-body prose"')[1].split("</div>")[0]
    assert "<script" not in body
    assert "onerror" not in body
    assert "onload" not in body
    assert "javascript:" not in body


def test_markdown_is_rendered(client, world, owner):
    comment(world, owner, "**Bold** and a [link](https://example.com)")
    client.force_login(owner)
    html = client.get(thread_url("product", world.product), **HX).content.decode()
    assert "<strong>Bold</strong>" in html
    assert 'href="https://example.com"' in html


def test_mentioning_someone_who_cannot_see_the_meeting_is_refused_with_a_message(
    client, world, owner, viewer
):
    client.force_login(owner)
    response = client.post(
        thread_url("meeting", world.meeting), {"body": f"@{viewer.username} have a look"}, **HX
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert f"@{viewer.username}" in html
    assert "cannot see this sync meeting" in html
    assert "have a look" in html  # the input is kept
    assert not Comment.objects.exists()


def test_mentioning_no_one_by_that_name_is_refused(client, world, owner):
    client.force_login(owner)
    response = client.post(thread_url("product", world.product), {"body": "@nobody.here hi"}, **HX)
    assert response.status_code == 422
    assert "No one is called @nobody.here" in response.content.decode()


def test_a_mention_is_recorded_and_an_email_address_is_no_mention(world, owner, editor):
    first = comment(world, owner, f"@{editor.username}, see mail@example.com")
    assert list(Mention.objects.filter(comment=first).values_list("user", flat=True)) == [editor.pk]


def test_suggestions_offer_only_people_who_can_see_the_meeting(
    client, world, owner, editor, viewer, outsider, staff
):
    client.force_login(owner)
    html = client.get(
        reverse("activity:people", args=["meeting", world.meeting.pk])
    ).content.decode()
    for person in (owner, editor, staff):
        assert f"@{person.username}" in html
    for person in (viewer, outsider):
        assert f"@{person.username}" not in html


def test_suggestions_match_the_start_of_a_name(client, world, owner):
    UserFactory(username="priya.patel", first_name="Priya", last_name="Patel")
    client.force_login(owner)
    url = reverse("activity:people", args=["product", world.product.pk])
    assert "@priya.patel" in client.get(url, {"q": "pri"}).content.decode()
    assert "@priya.patel" in client.get(url, {"q": "Pat"}).content.decode()
    assert "@priya.patel" not in client.get(url, {"q": "zz"}).content.decode()


def test_an_inactive_person_is_neither_suggested_nor_mentionable(client, world, owner):
    gone = UserFactory(username="gone.person", is_active=False)
    client.force_login(owner)
    html = client.get(
        reverse("activity:people", args=["product", world.product.pk]), {"q": "gone"}
    ).content.decode()
    assert "@gone.person" not in html
    response = client.post(
        thread_url("product", world.product), {"body": f"@{gone.username}"}, **HX
    )
    assert response.status_code == 422


def test_host_pages_carry_a_placeholder_that_loads_the_thread(client, world, owner):
    client.force_login(owner)
    pages = {
        "product": world.product.get_absolute_url(),
        "item": reverse("products:item", args=[world.product.slug, world.item.pk]),
        "project": world.project.get_absolute_url(),
        "meeting": world.meeting.get_absolute_url(),
    }
    objects = {
        "product": world.product,
        "item": world.item,
        "project": world.project,
        "meeting": world.meeting,
    }
    for kind, url in pages.items():
        html = client.get(url).content.decode()
        assert f'hx-get="{thread_url(kind, objects[kind])}"' in html, kind


def test_following_and_unfollowing_from_the_thread(client, world, viewer):
    client.force_login(viewer)
    url = reverse("activity:follow", args=["product", world.product.pk])
    html = client.post(url, {"following": "1"}, **HX).content.decode()
    assert "You follow this." in html
    html = client.post(url, {"following": "0"}, **HX).content.decode()
    assert "Follow" in html
    assert "You follow this." not in html


def test_no_one_follows_a_meeting_they_cannot_see(client, world, viewer):
    client.force_login(viewer)
    url = reverse("activity:follow", args=["meeting", world.meeting.pk])
    assert client.post(url, {"following": "1"}).status_code == 404

"""A failed CSRF check answers the app's own page (settings.CSRF_FAILURE_VIEW), not Django's."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from roleplan.ownership.models import Asset


def test_a_form_sent_without_its_token_gets_the_apps_page_and_saves_nothing(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get(reverse("ownership:create"))  # the form page sets the CSRF cookie
    response = client.post(
        reverse("ownership:create"), {"kind": "process", "name": "Refunds", "owner": owner.pk}
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "This page has expired" in html
    assert "back button" in html
    assert 'class="topbar"' in html  # the app's layout, signed in
    assert "CSRF verification failed" not in html  # not Django's page
    assert "allow cookies" not in html
    assert not Asset.objects.filter(name="Refunds").exists()


def test_a_sign_in_without_the_cookie_says_to_allow_cookies(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "someone", "password": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "This page has expired" in html
    assert "allow cookies for this site" in html

"""roleplan's own error pages: in the app's layout for a signed-in person (400, 404), and a 500
page that needs nothing but the template itself (it is shown when anything else may be down)."""

from __future__ import annotations

import pytest
from django.template import loader
from django.test import Client
from django.urls import reverse


@pytest.fixture
def signed_in(db, owner) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get(reverse("dashboard"))  # the CSRF cookie
    return client


def test_an_address_nothing_matches_shows_the_404_page_with_the_top_bar(signed_in):
    response = signed_in.get("/no/pattern/matches/this")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert 'aria-label="Main"' in html  # the navigation of every page
    assert "Log out" in html


def test_the_400_page_knows_who_is_signed_in_and_offers_the_way_back(signed_in):
    response = signed_in.generic(
        "POST",
        reverse("password_change"),
        "old_password=x".encode("utf-16"),
        content_type="application/x-www-form-urlencoded; charset=utf-16",
        HTTP_X_CSRFTOKEN=signed_in.cookies["csrftoken"].value,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The request could not be read" in html
    assert "Back to the dashboard" in html
    assert "Log out" in html


def test_the_500_page_renders_with_no_request_and_no_database(django_db_blocker):
    with django_db_blocker.block():  # any query would raise here
        html = loader.get_template("500.html").render()
    assert "Something went wrong on our side" in html
    assert "css/app.css" in html  # its look, from the static files alone

"""A reminder is rendered once per meeting; each person's copy has their name and the other
people's, escaped in the HTML part."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
import time_machine
from django.core import mail

from roleplan.alignment import delivery
from roleplan.alignment.models import SECTION_CAP, AgendaEntry, SyncMeeting, Weekday
from tests.alignment.delivery_fixtures import make_series, people

MONDAY_MORNING = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)


def send_reminders() -> list:
    with time_machine.travel(MONDAY_MORNING, tick=False):
        delivery.reminders_prepare_due()
        delivery.deliveries_send()
    return mail.outbox


@pytest.mark.django_db
def test_each_person_is_greeted_and_told_who_else_comes_escaped_in_html():
    priya = people("Priya", "Patel")
    tricky = people("Jo", "O'Neil <& Co>", username="jo")
    make_series(product_owner=priya, manager=tricky, weekday=Weekday.TUESDAY, at=time(10, 0))
    sent = {m.to[0]: m for m in send_reminders()}
    assert len(sent) == 2
    to_priya = next(m for to, m in sent.items() if priya.email in to)
    to_jo = next(m for to, m in sent.items() if tricky.email in to)
    assert to_priya.body.startswith("Hello Priya,\n")
    assert "with Jo O'Neil <& Co> is on" in to_priya.body
    html = to_priya.alternatives[0].content
    assert "30 minutes with Jo O&#x27;Neil &lt;&amp; Co&gt;</p>" in html
    assert to_jo.body.startswith("Hello Jo,\n")
    assert "with Priya Patel is on" in to_jo.body
    assert "30 minutes with Priya Patel</p>" in to_jo.alternatives[0].content
    assert to_priya.subject == to_jo.subject
    assert "\x00" not in to_priya.body + html + to_jo.body


@pytest.mark.django_db
def test_a_long_section_shows_its_first_lines_and_links_to_the_rest():
    priya, marco = people("Priya", "Patel"), people("Marco", "Rossi")
    make_series(product_owner=priya, manager=marco, weekday=Weekday.TUESDAY, at=time(10, 0))
    with time_machine.travel(MONDAY_MORNING, tick=False):
        delivery.reminders_prepare_due()
    meeting = SyncMeeting.objects.get()
    AgendaEntry.objects.bulk_create(
        AgendaEntry(
            meeting=meeting, section="problems", key=f"t:{n}", title=f"Line {n}", position=100 + n
        )
        for n in range(SECTION_CAP + 3)
    )
    problems = AgendaEntry.objects.filter(meeting=meeting, key__startswith="t:")
    more = problems.count() - SECTION_CAP
    with time_machine.travel(MONDAY_MORNING, tick=False):
        delivery.deliveries_send()
    message = mail.outbox[0]
    full = f"/sync/{meeting.pk}/?full=1"
    assert f"  … and {more} more: http://127.0.0.1:8000{full}\n" in message.body
    assert f'{full}" style="color:#52606d;">and {more} more</a>' in message.alternatives[0].content

"""roleplan/events.py: announcements reach subscribers once, after commit, and never on rollback."""

from __future__ import annotations

import pytest
from django.db import transaction

from roleplan import events
from roleplan.events import Event


@pytest.fixture
def heard():
    calls: list[dict] = []

    def handler(**payload):
        calls.append(payload)

    events.subscribe(Event.PROJECT_CHANGED, handler)
    events.subscribe(Event.PROJECT_CHANGED, handler)  # twice: still one
    yield calls
    events._handlers[Event.PROJECT_CHANGED].remove(handler)


@pytest.mark.django_db(transaction=True)
def test_a_subscriber_hears_an_announcement_once_after_commit(heard):
    with transaction.atomic():
        events.announce(Event.PROJECT_CHANGED, project_id=7)
        assert heard == []  # not before the commit
    assert heard == [{"project_id": 7}]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_announcement_is_never_heard(heard):
    def failing_write():
        with transaction.atomic():
            events.announce(Event.PROJECT_CHANGED, project_id=7)
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        failing_write()
    assert heard == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_neither_undoes_the_write_nor_silences_the_others(heard, caplog):
    def broken(**payload):
        raise ValueError("broken subscriber")

    events._handlers[Event.PROJECT_CHANGED].insert(0, broken)
    try:
        with transaction.atomic():
            events.announce(Event.PROJECT_CHANGED, project_id=8)
    finally:
        events._handlers[Event.PROJECT_CHANGED].remove(broken)
    assert heard == [{"project_id": 8}]
    assert "broken subscriber" in caplog.text

"""roleplan/alignment/mime.py writes the bytes Django's email package writes, or leaves the
message to Django."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from roleplan.alignment.mime import PlainEmail, Written, write

BOUNDARY = "===============1234567890123456789=="
TEXT = (
    "Hello Pat,\n\nyour weekly sync · Tuesday\n\n  - Scope added: X (Must have)\n  … and 1 more\n"
)
HTML = '<!doctype html>\n<p style="margin:0">Weekly sync · <b>Apollo</b></p>\n<ul><li>A</li></ul>\n'


def email(**overrides) -> PlainEmail:
    fields = {
        "subject": "Weekly sync Tuesday 10:00 Europe/Berlin: Apollo",
        "body": TEXT,
        "from_email": "roleplan <roleplan@localhost>",
        "to": ["Pat Product 0 <pm00000@example.com>"],
        "headers": {
            "Message-ID": "<roleplan-delivery-1@plan.example.com>",
            "Auto-Submitted": "auto-generated",
        },
    }
    html = overrides.pop("html", HTML)
    fields.update(overrides)
    message = PlainEmail(**fields)
    message.attach_alternative(html, "text/html")
    return message


def django_bytes(message: PlainEmail, linesep: str = "\r\n") -> bytes:
    tree = EmailMultiAlternatives.message(message)
    tree.set_boundary(BOUNDARY)
    return tree.as_bytes(linesep=linesep)


FAST = {
    "a reminder": {},
    "ASCII only (7bit)": {"body": "Hello Pat,\nplain\n", "html": "<p>plain</p>\n"},
    "other line ends, no final one": {"body": "one\r\ntwo\rthree\n\nfour", "html": "<p>\r\n</p>"},
    "a subject just short enough": {"subject": "S" * (76 - len("Subject: "))},
    "a bare address": {"to": ["pm00000@example.com"]},
    "a line of 998 bytes": {"html": "<p>" + "x" * 991 + "</p>\n"},
}
SLOW = {
    "a subject one character longer": {"subject": "S" * (77 - len("Subject: "))},
    "an accent in the subject": {"subject": "Weekly sync: Zoë's project"},
    "an accent in a name": {"to": ["Zoë Lind <zoe@example.com>"]},
    "a quoted name": {"to": ['"Lind, Zoe" <zoe@example.com>']},
    "two spaces in the subject": {"subject": "Weekly  sync"},
    "a line of 999 bytes": {"html": "<p>" + "x" * 992 + "</p>\n"},
    "a copy to someone": {"cc": ["x@example.com"]},
}


@pytest.mark.parametrize("case", FAST)
def test_plain_messages_are_written_as_django_writes_them(case, settings):
    message = email(**FAST[case])
    written = write(message, "\r\n", BOUNDARY)
    assert written is not None
    assert written.encode() == django_bytes(message)
    # Console and file backends read it with "\n" line ends.
    assert Written(written).as_bytes() == django_bytes(message, "\n")


@pytest.mark.parametrize("case", SLOW)
def test_other_messages_are_left_to_django(case):
    message = email(**SLOW[case])
    assert write(message, "\r\n", BOUNDARY) is None
    tree = message.message()
    assert not isinstance(tree, Written)


def test_without_a_date_or_message_id_they_are_made_as_django_makes_them(settings):
    settings.EMAIL_USE_LOCALTIME = False
    message = email(headers={})
    with time_machine.travel(datetime(2026, 6, 1, 8, 0, tzinfo=UTC), tick=False):
        ours, django = write(message, "\r\n", BOUNDARY).encode(), django_bytes(message)
    same_id = re.compile(rb"Message-ID: <[^>]+>")
    assert same_id.sub(b"", ours) == same_id.sub(b"", django)
    assert b"Date: Mon, 01 Jun 2026 08:00:00 -0000\r\n" in ours


def test_the_boundary_never_occurs_in_the_parts():
    message = email()
    boundaries = {
        re.search(r'boundary="([^"]+)"', message.message().as_string()).group(1) for _ in range(20)
    }
    assert len(boundaries) == 20
    assert all(len(b) == len(BOUNDARY) for b in boundaries)


def test_a_written_message_goes_through_the_mail_backends(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    email().send()
    assert mail.outbox[0].subject.startswith("Weekly sync")

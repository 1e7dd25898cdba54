"""Text-and-HTML emails written straight to bytes: what Django's email package writes, cheaply.

A reminder batch writes a hundred messages. Django builds each as a tree of email.mime objects
and flattens it with the standard library's generator, which re-parses and re-folds every
header: about two thirds of the CPU a worker spends per reminder. The messages roleplan sends
are simple (ASCII headers shorter than a line, UTF-8 text and HTML whose lines are short), and
for those this module writes the very bytes Django would (tests/alignment/test_mime.py compares
them, boundary and date aside). Anything else, a name with an accent or a long subject say,
goes through Django as before.
"""

from __future__ import annotations

import random
import re
import sys
from email.utils import formatdate, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import DNS_NAME, RFC5322_EMAIL_LINE_LENGTH_LIMIT

# A header is written as it is when it is printable ASCII with single spaces and, with its
# name, fits in 76 characters: then neither Django's encoding nor the generator's folding
# changes it.
PLAIN_HEADER = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")
HEADER_LINE = 76
# A display name and an address that Django's address handling leaves as they are.
PLAIN_NAME = re.compile(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*")
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
PLAIN_MAILBOX = re.compile(
    rf"(?:{PLAIN_ADDRESS.pattern}|{PLAIN_NAME.pattern} <{PLAIN_ADDRESS.pattern}>)"
)
LINES = re.compile(r"\r\n|\r|\n")
# As email.generator draws them.
_WIDTH = len(repr(sys.maxsize - 1))


def _boundary(texts: list[str]) -> str:
    while True:
        boundary = "=" * 15 + (f"%0{_WIDTH}d" % random.randrange(sys.maxsize)) + "=="
        if not any(boundary in text for text in texts):
            return boundary


def _lines(text: str, linesep: str) -> str:
    """The text with its line ends as the generator writes them."""
    lines = LINES.split(text)
    return linesep.join(lines)


def _text_part(text: str, subtype: str, linesep: str) -> str | None:
    """One text/* part as Django writes it, or None when it would be encoded (long lines)."""
    if any(
        len(line.encode(errors="surrogateescape")) > RFC5322_EMAIL_LINE_LENGTH_LIMIT
        for line in text.splitlines()
    ):
        return None
    encoding = "7bit" if text.isascii() else "8bit"
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{linesep}MIME-Version: 1.0{linesep}'
        f"Content-Transfer-Encoding: {encoding}{linesep}{linesep}{_lines(text, linesep)}"
    )


def write(email: EmailMultiAlternatives, linesep: str = "\n", boundary: str = "") -> str | None:
    """The message as Django's email.message().as_bytes(linesep=...) writes it (decoded), or None
    when it is not one this writer handles: the text body and one HTML alternative, UTF-8,
    plain headers, no attachments, no Cc or Reply-To."""
    if (
        email.attachments
        or email.cc
        or email.reply_to
        or len(email.alternatives) != 1
        or email.alternatives[0].mimetype != "text/html"
        or not email.body
        or (email.encoding or settings.DEFAULT_CHARSET).lower() != "utf-8"
        or email.content_subtype != "plain"
        or email.alternative_subtype != "alternative"
        or not email.to
    ):
        return None
    names = {name.lower() for name in email.extra_headers}
    sender = email.extra_headers.get("From", email.from_email)
    if not PLAIN_MAILBOX.fullmatch(sender) or not all(
        PLAIN_MAILBOX.fullmatch(to) for to in email.to
    ):
        return None
    headers = [
        ("Subject", email.subject),
        ("From", sender),
        ("To", ", ".join(email.to)),
    ]
    if "date" not in names:
        headers.append(("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)))
    if "message-id" not in names:
        headers.append(("Message-ID", make_msgid(domain=DNS_NAME)))
    for name, value in email.extra_headers.items():
        if name.lower() not in {"from", "to", "cc", "reply-to"}:
            headers.append((name, value))
    for name, value in headers:
        if (
            not isinstance(value, str)
            or not PLAIN_HEADER.fullmatch(value)
            or len(name) + 2 + len(value) > HEADER_LINE
        ):
            return None
    html = email.alternatives[0].content
    parts = [_text_part(email.body, "plain", linesep), _text_part(html, "html", linesep)]
    if None in parts:
        return None
    boundary = boundary or _boundary(parts)
    head = [
        f'Content-Type: multipart/alternative;{linesep} boundary="{boundary}"',
        "MIME-Version: 1.0",
        *(f"{name}: {value}" for name, value in headers),
    ]
    return (
        linesep.join(head)
        + linesep
        + linesep
        + f"--{boundary}{linesep}"
        + f"{linesep}--{boundary}{linesep}".join(parts)
        + f"{linesep}--{boundary}--{linesep}"
    )


class Written:
    """A message already written out: the part of email.message.Message that Django's mail
    backends read (smtp: as_bytes with CRLF; console and file: as_bytes and get_charset)."""

    def __init__(self, crlf: str) -> None:
        self.crlf = crlf  # written with "\r\n" line ends, as SMTP wants them

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        # Every line end is "\r\n" (bodies included): the same message with other line ends.
        return self.crlf if linesep == "\r\n" else self.crlf.replace("\r\n", linesep)

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        return self.as_string(linesep=linesep).encode("utf-8", errors="surrogateescape")

    def get_charset(self):
        return None


class PlainEmail(EmailMultiAlternatives):
    """An EmailMultiAlternatives whose MIME form is written by this module when it can be."""

    def message(self):
        crlf = write(self, "\r\n")
        if crlf is None:
            return super().message()
        return Written(crlf)

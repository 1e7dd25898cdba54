"""A real SMTP server on 127.0.0.1 that records what it accepts: the outside world of the
delivery tests. Runs aiosmtpd in a thread of the test process; workers in other processes reach
it over TCP like any mail server.

Knobs, set from the test thread:
- refuse(address) -> "451 ..." | "550 ..." | None: answer RCPT for that address;
- refuse_mail(sender) -> answer | None: answer MAIL for that sender;
- refuse_data(recipients) -> answer | None: answer the content of a message to them;
- hold_after = n: after n accepted messages, the next MAIL waits until release() (a test kills
  the sender meanwhile);
- drop_after = n: after n accepted messages, answer the next MAIL with 421 and close;
- delay = seconds: each DATA takes that long.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.parser import BytesHeaderParser

from aiosmtpd.controller import Controller

# aiosmtpd logs every command at INFO; the tests read what the sink recorded instead.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Received:
    message_id: str
    recipients: tuple[str, ...]
    subject: str
    peer: tuple
    raw: bytes

    def message(self):
        return message_from_bytes(self.raw, policy=policy.default)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SinkHandler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.peers: set[tuple] = set()
        self.sessions = 0  # EHLO/HELO greetings: one per SMTP connection
        self.refused = 0
        self.refuse: Callable[[str], str | None] = lambda address: None
        self.refuse_mail: Callable[[str], str | None] = lambda sender: None
        self.refuse_data: Callable[[tuple[str, ...]], str | None] = lambda recipients: None
        self.hold_after: int | None = None
        self.holding = threading.Event()
        self._released = threading.Event()
        self.drop_after: int | None = None
        self.dropped = 0
        self.delay = 0.0  # seconds each DATA takes, to keep senders busy side by side

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        with self.lock:
            self.sessions += 1
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.peers.add(session.peer)
            count = len(self.received)
            drop = self.drop_after is not None and count >= self.drop_after and not self.dropped
            hold = self.hold_after is not None and count >= self.hold_after
        if drop:
            self.dropped += 1
            # Answer first, then hang up, as a server shutting down does.
            asyncio.get_running_loop().call_later(0.05, server.transport.close)
            return "421 4.3.2 closing: going away"
        if hold and not self._released.is_set():
            self.holding.set()
            while not self._released.is_set():
                await asyncio.sleep(0.02)
        answer = self.refuse_mail(address)
        if answer:
            return answer
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.refuse(address)
        if answer:
            with self.lock:
                self.refused += 1
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        answer = self.refuse_data(tuple(envelope.rcpt_tos))
        if answer:
            return answer
        raw = envelope.original_content or envelope.content
        # Headers only: parsing whole messages would make the sink the bottleneck.
        parsed = BytesHeaderParser(policy=policy.default).parsebytes(raw)
        with self.lock:
            self.received.append(
                Received(
                    message_id=str(parsed["Message-ID"]),
                    recipients=tuple(envelope.rcpt_tos),
                    subject=str(parsed["Subject"]),
                    peer=session.peer,
                    raw=raw,
                )
            )
        return "250 Message accepted for delivery"

    def release(self) -> None:
        self._released.set()


class SmtpSink:
    def __init__(self) -> None:
        self.handler = SinkHandler()
        self.port = free_port()
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10
        )

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.handler.release()
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    @property
    def connections(self) -> int:
        """SMTP connections opened (each greets once with EHLO)."""
        with self.handler.lock:
            return self.handler.sessions

    def per_recipient(self) -> Counter:
        """How many messages each (Message-ID, recipient) pair got: all 1 when exactly once."""
        return Counter((r.message_id, rcpt) for r in self.received for rcpt in r.recipients)

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"the sink got {len(self.received)} of {count} messages")

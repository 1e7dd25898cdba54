"""manage.py create_api_token USERNAME [--write] [--expires DAYS] [--name NAME]: a personal API
token for a person, printed once (only its digest is stored)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from roleplan.integrations.services import token_create


class Command(BaseCommand):
    help = "Create a personal API token for USERNAME and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--write", action="store_true", help="read and write (default: read)")
        parser.add_argument("--expires", type=int, metavar="DAYS", help="expires after DAYS days")
        parser.add_argument("--name", default="Created with manage.py", help="what uses it")

    def handle(self, *args, username: str, write: bool, expires: int | None, name: str, **kw):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        if expires is not None and expires < 1:
            raise CommandError("--expires takes a number of days, at least 1.")
        token, text = token_create(user=user, name=name, can_write=write, expires_in_days=expires)
        access = "read and write" if token.can_write else "read only"
        until = f", expires {token.expires_at:%Y-%m-%d}" if token.expires_at else ""
        self.stderr.write(f"Token for {username} ({access}{until}); it is shown only now:")
        self.stdout.write(text)

"""Requests through Django's test client, for the page benchmark: the query counts of each page
on a data set, and the writes as the pages send them (the in-place edit's form fields are read
from the editor the page opens, so a renamed form prefix needs no change here)."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

from tests.benchmarks.pages_catalogue import Objects, PageSpec, path_of
from tests.benchmarks.pages_load import CONNECTIONS, say

if TYPE_CHECKING:
    from django.http import HttpResponse
    from django.test import Client


def client_for(username: str) -> Client:
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=username))
    return client


class EditorForm(HTMLParser):
    """The first form of an editor's HTML, as a browser would submit it: its action and its
    successful controls with their current values (text inputs, hidden inputs, checked boxes,
    each select's selected option, textareas). The CSRF input is left out: the load sends the
    token as a header, like the pages' htmx requests."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = ""
        self.fields: list[tuple[str, str]] = []
        self._depth = 0  # inside the first form
        self._done = False
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self._done:
            self._depth += 1
            self.action = self.action or a.get("hx-post") or a.get("action", "")
            return
        if not self._depth:
            return
        name = a.get("name", "")
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "reset", "image", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._depth:
            self._depth -= 1
            self._done = not self._depth
        elif tag == "select" and self._select is not None:
            chosen = [v for v, on in self._options if on] or [v for v, _ in self._options[:1]]
            if chosen:
                self.fields.append((self._select, chosen[0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, self._text))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data


def edit_specs(client: Client, spec: PageSpec, objects: Objects) -> list[str]:
    """wrk's SPEC per connection for the in-place edit: PATH|BODY|VERSION|VALUE|VERSION_FIELD.
    Each item's editor is opened as the page opens it (htmx GET) and its form submitted as it
    is, with a new reach each time ({value}) and the version carried ({version})."""
    specs = []
    for item_id in objects.edit_item_ids[:CONNECTIONS]:
        item_objects = Objects(**{**objects.__dict__, "edit_item_ids": [item_id]})
        answer = client.get(path_of(spec, item_objects), HTTP_HX_REQUEST="true")
        if answer.status_code != 200:
            raise RuntimeError(f"the editor answered {answer.status_code}")
        form = EditorForm(answer.content.decode())
        value_field = next((n for n, _ in form.fields if n.endswith("reach")), None)
        version_field = next((n for n, _ in form.fields if n.endswith("version")), None)
        if not form.action or value_field is None or version_field is None:
            raise RuntimeError("the editor has no form with a reach and a version field")
        values = dict(form.fields)
        parts = []
        for name, current in form.fields:
            if name == value_field:
                parts.append(f"{quote_plus(name)}={{value}}")
            elif name == version_field:
                parts.append(f"{quote_plus(name)}={{version}}")
            else:
                parts.append(f"{quote_plus(name)}={quote_plus(current)}")
        body = "&".join(parts)
        specs.append(
            f"{form.action}|{body}|{values[version_field]}|{values[value_field] or 0}|"
            f"{version_field}"
        )
    return specs


def move_specs(spec: PageSpec, objects: Objects) -> list[str]:
    from products.models import Horizon

    return [
        path_of(spec, Objects(**{**objects.__dict__, "move_item_ids": [item_id]}))
        + f"|{Horizon.LATER.value}"
        for item_id in objects.move_item_ids[:CONNECTIONS]
    ]


class EditRequest:
    """The in-place edit through the test client, as a wrk thread sends it: a new value each
    time, the version carried from answer to answer (read before, not while, queries are
    counted)."""

    def __init__(self, client: Client, spec: PageSpec, objects: Objects) -> None:
        self.client = client
        spec_line = edit_specs(client, spec, objects)[0]
        self.path, self.body, version, value, self.version_field = spec_line.split("|")
        self.version, self.value = int(version), int(value)

    def __call__(self) -> HttpResponse:
        self.value += 1
        body = self.body.replace("{value}", str(self.value)).replace("{version}", str(self.version))
        response = self.client.post(
            self.path,
            body,
            content_type="application/x-www-form-urlencoded",
            HTTP_HX_REQUEST="true",
        )
        if 200 <= response.status_code < 300:
            self.version += 1
        elif response.status_code == 409:
            found = re.search(
                rf'name="{re.escape(self.version_field)}" value="(\d+)"',
                response.content.decode(),
            )
            self.version = int(found.group(1)) if found else self.version
        return response


def request_for(client: Client, spec: PageSpec, objects: Objects) -> Callable[[], HttpResponse]:
    """A callable sending the page's request through the test client: a GET, or the write as
    the page sends it (the drag moves its item to the top, then to the end, and so on)."""
    path = path_of(spec, objects)
    if spec.kind == "edit":
        return EditRequest(client, spec, objects)
    if spec.kind == "move":
        from products.models import Horizon

        turn = iter(range(1_000_000))

        def move():
            position = "0" if next(turn) % 2 == 0 else "99999"
            data = {"horizon": Horizon.LATER.value, "position": position}
            return client.post(path, data, HTTP_HX_REQUEST="true")

        return move
    extra = {"HTTP_HX_REQUEST": "true"} if spec.htmx else {}
    return lambda: client.get(path, **extra)


def count_queries(client: Client, spec: PageSpec, objects: Objects) -> int:
    """Queries of one request, after one warm-up request; RuntimeError if it does not answer
    200."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    request = request_for(client, spec, objects)
    request()
    with CaptureQueriesContext(connection) as queries:
        response = request()
    if response.status_code != 200:
        raise RuntimeError(f"answered {response.status_code}")
    return len(queries.captured_queries)


def count_all(
    specs: list[PageSpec], clients: dict, objects: Objects, counts: dict, size: str
) -> None:
    for spec in specs:
        entry = counts.setdefault(spec.key, {})
        if "error" in entry:
            continue
        try:
            entry[size] = count_queries(clients[spec.who], spec, objects)
        except Exception as exc:  # a page gone or broken is reported, not fatal
            entry["error"] = f"{size} data set: {type(exc).__name__}: {str(exc)[:120]}"
            say(f"  {spec.key}: {entry['error']}")

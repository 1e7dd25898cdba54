"""Requests through Django's test client, for the page benchmark: the query counts of each page
on a data set, and the writes as the pages send them (the in-place edit's form fields are read
from the editor the page opens, so a renamed form prefix needs no change here)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

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


def editor_fields(
    client: Client, spec: PageSpec, objects: Objects, item_id: int
) -> tuple[str, str]:
    """The names of the in-place editor's value and version inputs, read from the editor the
    page opens (so a renamed form prefix needs no change here)."""
    item_objects = Objects(**{**objects.__dict__, "edit_item_ids": [item_id]})
    answer = client.get(path_of(spec, item_objects), HTTP_HX_REQUEST="true")
    names = re.findall(r'name="([^"]+)"', answer.content.decode())
    value = next((n for n in names if n.endswith("reach")), f"item{item_id}-reach")
    version = next((n for n in names if n.endswith("version")), f"item{item_id}-version")
    return value, version


def edit_specs(client: Client, spec: PageSpec, objects: Objects) -> list[str]:
    """wrk's SPEC per connection for the in-place edit: PATH|BODY|VERSION|VALUE|VERSION_FIELD."""
    from products.models import RoadmapItem

    items = RoadmapItem.objects.in_bulk(objects.edit_item_ids)
    specs = []
    for item_id in objects.edit_item_ids[:CONNECTIONS]:
        value, version = editor_fields(client, spec, objects, item_id)
        path = path_of(spec, Objects(**{**objects.__dict__, "edit_item_ids": [item_id]}))
        body = f"{value}={{value}}&{version}={{version}}"
        item = items[item_id]
        specs.append(f"{path}|{body}|{item.version}|{item.reach}|{version}")
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
        data = dict(part.split("=", 1) for part in body.split("&"))
        response = self.client.post(self.path, data, HTTP_HX_REQUEST="true")
        if 200 <= response.status_code < 300:
            self.version += 1
        elif response.status_code == 409:
            found = re.search(
                rf'name="{re.escape(self.version_field)}" value="(\d+)"', response.content.decode()
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

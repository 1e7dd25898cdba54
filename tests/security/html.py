"""Reading HTML the way a browser would, to find what could run: scripts, handlers, javascript:
URLs. Also the forms of a page, with the values a browser would submit."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

# Attributes whose value a browser may follow or fetch, or htmx may request.
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "xlink:href",
        "data",
        "poster",
        "srcdoc",
        "hx-get",
        "hx-post",
        "hx-put",
        "hx-patch",
        "hx-delete",
    }
)


class _ActiveContent(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append(f"inline <script> {attrs}")
        if tag == "style":
            self.found.append("inline <style> element")
        if tag in {"iframe", "object", "embed", "base"}:
            self.found.append(f"<{tag}> {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in {"hx-on", "hx-vars"} or name.startswith(("hx-on:", "hx-on-")):
                self.found.append(f"<{tag} {name}={value!r}> (needs eval)")
            if name == "hx-vals" and value and value.strip().startswith("js:"):
                self.found.append(f"<{tag} hx-vals={value!r}> (needs eval)")
            if name in URL_ATTRIBUTES and value:
                squeezed = "".join(value.split()).lower()
                if squeezed.startswith(("javascript:", "vbscript:", "data:text/html")):
                    self.found.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def active_content(html: str) -> list[str]:
    """Everything in the page that would run script or load a document: empty when inert."""
    parser = _ActiveContent()
    parser.feed(html)
    parser.close()
    return parser.found


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    # Free-text fields (text-like inputs and textareas) that hypothesis may fill.
    text_fields: list[str] = field(default_factory=list)
    selects: dict[str, list[str]] = field(default_factory=dict)


TEXT_INPUTS = frozenset({"text", "search", "email", "url", "tel", "password", ""})


class _Forms(HTMLParser):
    """The forms of a page with the values a browser submits unchanged: checked boxes, selected
    options (else the first), textareas and inputs with their value."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.textarea: str | None = None
        self.select: str | None = None
        self.selected: bool = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.current = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self.current)
            return
        form = self.current
        if form is None or "disabled" in a:
            return
        name = a.get("name")
        if name and "required" in a:
            form.required.add(name)
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    form.fields[name] = a.get("value", "on")
            elif kind not in {"submit", "button", "reset", "file", "image"}:
                form.fields[name] = a.get("value", "")
                form.types[name] = kind
                if kind in TEXT_INPUTS and "readonly" not in a:
                    form.text_fields.append(name)
        elif tag == "textarea" and name:
            self.textarea = name
            form.fields[name] = ""
            form.types[name] = "textarea"
            if "readonly" not in a:
                form.text_fields.append(name)
        elif tag == "select" and name:
            self.select = name
            self.selected = False
            form.selects[name] = []
            form.types[name] = "select"
        elif tag == "option" and self.select:
            value = a.get("value", "")
            form.selects[self.select].append(value)
            if "selected" in a:
                form.fields[self.select] = value
                self.selected = True
            elif not self.selected and self.select not in form.fields:
                form.fields[self.select] = value

    def handle_data(self, data: str) -> None:
        if self.current is not None and self.textarea:
            self.current.fields[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None


def forms(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    parser.close()
    for form in parser.forms:
        # A textarea's content starts after a newline the browser drops.
        for name in form.text_fields:
            if form.fields.get(name, "").startswith("\n"):
                form.fields[name] = form.fields[name][1:]
    return parser.forms


def form_for(html: str, action: str, page: str = "") -> Form | None:
    """The POST form of the page that submits to `action` (a form without an action submits
    to its own page)."""
    for form in forms(html):
        if form.method == "post" and (form.action or page) == action:
            return form
    return None

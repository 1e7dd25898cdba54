"""Markdown written by product people, rendered to HTML that is safe to put on a page.

Markdown passes raw HTML through, so its output is cleaned with nh3 (an allow-list sanitiser):
no <script>, no on* attributes, no javascript: links survive; links open with rel=noopener.
"""

from __future__ import annotations

from html import unescape

import markdown as md
import nh3
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe

TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4",
    "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def render_markdown(text: str) -> SafeString:
    html = md.markdown(text or "", extensions=["sane_lists", "tables"], output_format="html")
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(clean)  # cleaned by nh3 just above


def markdown_text(text: str) -> str:
    """The words of some Markdown without its marks, on one line: for a heading or a link made
    from a text written in Markdown (a hypothesis's "We believe that")."""
    return " ".join(unescape(strip_tags(render_markdown(text))).split())

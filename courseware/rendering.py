"""Turn lesson Markdown into safe HTML and plain text, once, when a lesson is saved."""

import html
import math
import re

import nh3
from markdown_it import MarkdownIt

# "js-default" is CommonMark with raw HTML off and javascript:/data: links refused.
_markdown = MarkdownIt("js-default").enable("table")

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "li", "ol",
    "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
WORDS_PER_MINUTE = 200

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def render_markdown(source: str) -> str:
    """Return sanitized HTML for a lesson's Markdown source."""
    return nh3.clean(
        _markdown.render(source),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def html_to_text(fragment: str) -> str:
    """Return the visible text of an HTML fragment, one space between blocks."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", fragment))).strip()


def reading_minutes(text: str) -> int:
    """Return whole minutes to read the text at an adult's pace, at least one."""
    return max(1, math.ceil(len(text.split()) / WORDS_PER_MINUTE))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#|~!&])")
# A leading -, + or = could start a list, a rule (---) or a setext heading: escape it.
_LINE_START_BULLET = re.compile(r"^(\s*)([-+=])")
_LINE_START_NUMBER = re.compile(r"^(\s*\d+)([.)])(?=\s|$)")


def escape_markdown(text: str) -> str:
    """Return the text as Markdown that renders to exactly that text."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _LINE_START_BULLET.sub(r"\1\\\2", text)
    return _LINE_START_NUMBER.sub(r"\1\\\2", text)

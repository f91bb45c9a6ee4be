from html.parser import HTMLParser

import pytest

from courseware.rendering import escape_markdown, html_to_text, reading_minutes, render_markdown


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "![x](data:text/html;base64,PHNjcmlwdD4=)",
        '<img src=x onerror="alert(1)">',
        "<iframe src=https://evil.example></iframe>",
    ],
)
def test_rendering_never_passes_script_or_dangerous_links(source):
    parser = _TagCollector()
    parser.feed(render_markdown(source))
    assert not {"script", "iframe", "img"} & {tag for tag, _ in parser.tags}
    for _, attrs in parser.tags:
        for name, value in attrs:
            assert not name.startswith("on")
            assert not (value or "").strip().lower().startswith(("javascript:", "data:"))


class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def test_markdown_structure_is_kept():
    html = render_markdown("Soft **power** and [Nye](https://example.org).\n\n- one\n- two")
    assert "<strong>power</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer">Nye</a>' in html
    assert html.count("<li>") == 2


@pytest.mark.parametrize(
    "text",
    [
        "Plain *not emphasis* and _not either_.",
        "1. A sentence that starts with a number.",
        "- Not a list item",
        "# Not a heading",
        "Angle <brackets> & ampersands &amp; stay.",
        "Back\\slash and `ticks` and [brackets](here).",
    ],
)
def test_escaped_plain_text_renders_to_exactly_itself(text):
    assert html_to_text(render_markdown(escape_markdown(text))) == text


def test_reading_time_is_at_least_a_minute_and_grows_with_length():
    assert reading_minutes("short") == 1
    assert reading_minutes("word " * 401) == 3

"""Read a course document and its outline into plain data, before anything touches the database.

A document is plain text or Markdown. In plain text a heading is a short line without
closing punctuation and `- ` lines are list items; in Markdown `#` and `##` lines are
headings. The text before the first heading is the introduction.
"""

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.text import slugify

from .rendering import escape_markdown

INTRODUCTION = "Introduction"
MAX_HEADING_LENGTH = 100
# Lesson and module titles hold this much; a longer Markdown heading is refused.
MAX_TITLE_LENGTH = 200
MAX_HEADING_WORDS = 14
_CLOSING_PUNCTUATION = tuple(".,;:!?…\"'”’)]")
_MARKDOWN_HEADING = re.compile(r"^(#{1,2})\s+(\S.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


class DocumentError(ValueError):
    """The document or outline cannot become a course; the message says why."""


@dataclass
class Section:
    title: str
    level: int
    lines: list[str] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n".join(self.lines).strip("\n")


@dataclass
class Document:
    introduction: Section | None
    sections: list[Section]

    def all_sections(self) -> list[Section]:
        return ([self.introduction] if self.introduction else []) + self.sections


@dataclass
class OutlineLesson:
    section: str
    objectives: list[str] = field(default_factory=list)
    key_terms: list[str] = field(default_factory=list)


@dataclass
class OutlineModule:
    title: str
    lessons: list[OutlineLesson]
    summary: str = ""


@dataclass
class Outline:
    title: str = ""
    summary: str = ""
    modules: list[OutlineModule] = field(default_factory=list)


def decode(data: bytes, *, name: str = "document") -> str:
    """Return the text of an uploaded or read file, refusing binary and non-UTF-8 data."""
    if not data.strip():
        raise DocumentError(f"The {name} is empty.")
    if b"\x00" in data:
        raise DocumentError(f"The {name} is a binary file, not text.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"The {name} is not UTF-8 text (undecodable byte at position {exc.start})."
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentError(f"The {name} is empty.")
    return text


def read_file(path: str | Path, *, name: str = "document") -> str:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DocumentError(f"The {name} {path} does not exist.") from None
    except IsADirectoryError:
        raise DocumentError(f"The {name} {path} is a directory, not a file.") from None
    except OSError as exc:
        raise DocumentError(f"The {name} {path} cannot be read: {exc.strerror}.") from None
    return decode(data, name=name)


def is_markdown(text: str, filename: str = "") -> bool:
    if filename.lower().endswith((".md", ".markdown")):
        return True
    if filename.lower().endswith(".txt"):
        return False
    return any(_MARKDOWN_HEADING.match(line) for line in text.splitlines())


def parse_document(text: str, *, markdown: bool = False) -> Document:
    """Split a document into its introduction and headed sections."""
    sections = _parse_markdown(text) if markdown else _parse_plain_text(text)
    introduction = None
    if sections and sections[0].title == "":
        introduction = sections.pop(0)
        introduction.title = INTRODUCTION
        if not introduction.body.strip():
            introduction = None
    if not sections:
        kind = (
            "Markdown `#` or `##` headings"
            if markdown
            else "headings (short lines without closing punctuation)"
        )
        raise DocumentError(f"The document has no {kind}, so it cannot be split into lessons.")
    return Document(introduction=introduction, sections=sections)


def _parse_markdown(text: str) -> list[Section]:
    sections = [Section(title="", level=0)]
    in_fence = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _MARKDOWN_HEADING.match(line)
        if heading:
            title = heading.group(2).strip()
            if len(title) > MAX_TITLE_LENGTH:
                raise DocumentError(
                    f"A heading is longer than {MAX_TITLE_LENGTH} characters: {title[:60]!r}…"
                )
            sections.append(Section(title=title, level=len(heading.group(1))))
        else:
            sections[-1].lines.append(line)
    return sections


def _is_plain_heading(line: str) -> bool:
    return (
        len(line) <= MAX_HEADING_LENGTH
        and len(line.split()) <= MAX_HEADING_WORDS
        and not line.startswith("- ")
        and not line.endswith(_CLOSING_PUNCTUATION)
        and line[0].isalnum()
    )


def _parse_plain_text(text: str) -> list[Section]:
    """Turn plain text into sections whose bodies are Markdown that renders to that text."""
    sections = [Section(title="", level=0)]
    in_list = False
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if _is_plain_heading(line):
            sections.append(Section(title=line, level=1))
            in_list = False
            continue
        body = sections[-1].lines
        if line.startswith("- "):
            if not in_list and body:
                body.append("")
            body.append("- " + escape_markdown(line[2:].strip()))
            in_list = True
        else:
            if body:
                body.append("")
            body.append(escape_markdown(line))
            in_list = False
    return sections


def parse_outline(text: str) -> Outline:
    """Read an outline: TOML with a title, a summary and [[module]] tables of [[module.lesson]]."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DocumentError(f"The outline is not valid TOML: {exc}.") from None
    modules = data.get("module")
    if not isinstance(modules, list) or not modules:
        raise DocumentError("The outline has no [[module]] tables.")
    outline = Outline(title=str(data.get("title", "")), summary=str(data.get("summary", "")))
    for number, module in enumerate(modules, start=1):
        title = str(module.get("title", "")).strip()
        if not title:
            raise DocumentError(f"Module {number} of the outline has no title.")
        lessons = []
        for lesson in module.get("lesson", []):
            if not str(lesson.get("section", "")).strip():
                raise DocumentError(f"A lesson in module {title!r} names no section.")
            lessons.append(
                OutlineLesson(
                    section=str(lesson["section"]).strip(),
                    objectives=[str(item) for item in lesson.get("objectives", [])],
                    key_terms=[str(item) for item in lesson.get("key_terms", [])],
                )
            )
        if not lessons:
            raise DocumentError(f"Module {title!r} of the outline lists no lessons.")
        outline.modules.append(
            OutlineModule(title=title, summary=str(module.get("summary", "")), lessons=lessons)
        )
    return outline


def unique_slug(title: str, taken: set[str], *, fallback: str = "item") -> str:
    base = slugify(title)[:70].strip("-") or fallback
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug

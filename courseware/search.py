"""Search over lesson text: PostgreSQL full-text search, or a portable fallback on SQLite."""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import Course, Lesson

SEARCH_CONFIG = "english"
MAX_RESULTS = 20
# Private-use characters mark matches in the headline; the text is escaped before they
# become <mark> tags, so nothing from the lesson is ever trusted as HTML.
_START, _STOP = "\ue000", "\ue001"
SNIPPET_RADIUS = 110

# The same expression builds the GIN index (see migrations), so PostgreSQL can use it.
LESSON_SEARCH_VECTOR = SearchVector("title", weight="A", config=SEARCH_CONFIG) + SearchVector(
    "search_text", weight="B", config=SEARCH_CONFIG
)


@dataclass
class SearchHit:
    lesson: Lesson
    snippet: SafeString
    # Set by the caller: visitors see that a locked lesson matches, not its text.
    locked: bool = False


def search_lessons(*, course: Course, query: str) -> list[SearchHit]:
    """Return the course's lessons that match the query, best first, with highlighted snippets."""
    query = " ".join(query.split())[:200]
    if not query:
        return []
    lessons = Lesson.objects.current().filter(course=course).select_related("module")
    if connection.vendor == "postgresql":
        return _search_postgres(lessons, query)
    return _search_portable(lessons, query)


def _search_postgres(lessons, query: str) -> list[SearchHit]:
    search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    rows = (
        lessons.annotate(
            document=LESSON_SEARCH_VECTOR,
            rank=SearchRank(LESSON_SEARCH_VECTOR, search_query),
            headline=SearchHeadline(
                "search_text",
                search_query,
                config=SEARCH_CONFIG,
                start_sel=_START,
                stop_sel=_STOP,
                max_words=40,
                min_words=20,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
        .filter(document=search_query)
        .order_by("-rank", "module__position", "position")[:MAX_RESULTS]
    )
    return [SearchHit(lesson=row, snippet=_highlight_markers(row.headline)) for row in rows]


def _highlight_markers(text: str) -> SafeString:
    # The text is escaped first; only our markers become tags.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>")
    )


def _terms(query: str) -> list[str]:
    return [term for term in re.findall(r"\w+", query.casefold()) if len(term) > 1][:10]


def _search_portable(lessons, query: str) -> list[SearchHit]:
    terms = _terms(query)
    if not terms:
        return []
    condition = Q()
    for term in terms:
        condition &= Q(title__icontains=term) | Q(search_text__icontains=term)
    hits = []
    for lesson in lessons.filter(condition).in_order():
        haystack = lesson.search_text.casefold()
        score = sum(
            haystack.count(term) + 5 * lesson.title.casefold().count(term) for term in terms
        )
        hits.append((score, lesson))
    hits.sort(key=lambda hit: -hit[0])
    return [
        SearchHit(lesson=lesson, snippet=_snippet(lesson.search_text, terms))
        for _, lesson in hits[:MAX_RESULTS]
    ]


def _snippet(text: str, terms: list[str]) -> SafeString:
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)
    first = pattern.search(text)
    centre = first.start() if first else 0
    start = max(0, centre - SNIPPET_RADIUS)
    end = min(len(text), centre + SNIPPET_RADIUS)
    # Widen to whole words.
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    window = text[start:end]
    marked = pattern.sub(lambda m: f"{_START}{m.group(0)}{_STOP}", window)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return _highlight_markers(prefix + marked + suffix)

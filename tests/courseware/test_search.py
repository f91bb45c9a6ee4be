from django.contrib.postgres.search import SearchQuery
from django.db import connection

from courseware.models import Lesson
from courseware.search import LESSON_SEARCH_VECTOR, SEARCH_CONFIG, search_lessons

from ..factories import LessonFactory


def test_search_finds_lessons_by_their_text_with_highlighted_matches(course):
    hits = search_lessons(course=course, query="Gulf Cooperation Council")
    assert hits
    assert hits[0].lesson.slug == "regional-focus-military-diplomacy-in-different-contexts"
    assert "<mark>" in hits[0].snippet


def test_search_ranks_a_lesson_titled_with_the_words_first(course):
    hits = search_lessons(course=course, query="geopolitical tensions")
    assert hits[0].lesson.slug == "geopolitical-tensions"


def test_search_ignores_archived_lessons(course):
    Lesson.objects.filter(course=course, slug="geopolitical-tensions").update(is_archived=True)
    slugs = {
        hit.lesson.slug for hit in search_lessons(course=course, query="geopolitical tensions")
    }
    assert "geopolitical-tensions" not in slugs


def test_search_for_nothing_finds_nothing(course):
    assert search_lessons(course=course, query="   ") == []
    assert search_lessons(course=course, query="zeppelinocracy") == []


def test_lesson_text_is_escaped_in_snippets(db):
    lesson = LessonFactory(body_source="Beware `<img src=x onerror=alert(1)>` near soft power.")
    hits = search_lessons(course=lesson.course, query="soft power")
    assert hits
    snippet = str(hits[0].snippet)
    assert "<img" not in snippet
    assert "&lt;img" in snippet


def test_search_on_postgresql_uses_the_gin_index(course):
    if connection.vendor != "postgresql":
        # On SQLite the portable search has no index to use; the behaviour tests above cover it.
        assert not Lesson._meta.indexes
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'lesson_search_gin'")
        (definition,) = cursor.fetchone()
        assert "gin" in definition.lower() and "to_tsvector" in definition
        cursor.execute("SET enable_seqscan = off")
        explained = (
            Lesson.objects.annotate(document=LESSON_SEARCH_VECTOR)
            .filter(document=SearchQuery("tensions", config=SEARCH_CONFIG))
            .order_by()
            .explain()
        )
        cursor.execute("SET enable_seqscan = on")
    assert "lesson_search_gin" in explained

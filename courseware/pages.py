"""The parts of learner pages that every reader sees alike, rendered once and reused.

A lesson's text, study guide, case-study links and unbound knowledge check are rendered
once per course version; the outline beside it once per version and set of marks (which
lessons are done, which is open, enrolled or not). A page view then only reads the
learner's own state and fills in a few lines around these fragments.
"""

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.urls import reverse

from config.processcache import ProcessCache

from .forms import KnowledgeCheckForm
from .models import Course, Lesson
from .outline import CourseOutline, OutlineLesson, cached_per_version, get_outline


@dataclass(frozen=True)
class LessonPage:
    """One lesson as every reader sees it, in one version of the course."""

    lesson: Lesson  # with its module
    url: str
    complete_url: str
    check_url: str
    questions: list  # with their choices
    assignments: list  # the case studies that use the lesson
    article: str  # study guide, text and case-study links, as HTML
    check_fields: str  # the knowledge check's questions, unanswered, as HTML
    previous: OutlineLesson | None
    next: OutlineLesson | None


def get_lesson_page(course: Course, lesson_slug: str) -> LessonPage | None:
    """Return the current lesson with this slug, or None when the course shows no such lesson."""
    outline = get_outline(course)
    entry = outline.lesson_by_slug(lesson_slug)
    if entry is None:
        return None
    return cached_per_version(
        course, f"lesson-page:{entry.pk}", lambda: _build_lesson_page(course, outline, entry)
    )


def _build_lesson_page(course, outline: CourseOutline, entry: OutlineLesson) -> LessonPage:
    lesson = Lesson.objects.select_related("module").get(pk=entry.pk)
    questions = list(lesson.questions.prefetch_related("choices"))
    assignments = list(lesson.assignments.published().only("slug", "title"))
    previous, following = outline.neighbours(lesson.pk)
    article = render_to_string(
        "includes/lesson_article.html",
        {"course": course, "lesson": lesson, "related_assignments": assignments},
    )
    check_fields = (
        render_to_string(
            "includes/check_fields.html", {"check_form": KnowledgeCheckForm(questions=questions)}
        )
        if questions
        else ""
    )
    slugs = {"course_slug": course.slug, "lesson_slug": lesson.slug}
    return LessonPage(
        lesson=lesson,
        url=entry.url,
        complete_url=reverse("courseware:lesson-complete", kwargs=slugs),
        check_url=reverse("courseware:lesson-check", kwargs=slugs),
        questions=questions,
        assignments=assignments,
        article=article,
        check_fields=check_fields,
        previous=previous,
        next=following,
    )


@dataclass(frozen=True)
class CoursePage:
    """The course's case studies, as every reader of its page sees them."""

    assignments: list
    assignments_html: str


def get_course_page(course: Course) -> CoursePage:
    return cached_per_version(course, "course-page", lambda: _build_course_page(course))


def _build_course_page(course) -> CoursePage:
    assignments = list(
        course.assignments.published().only("course_id", "slug", "title", "points_possible")
    )
    html = render_to_string(
        "includes/course_assignments.html", {"course": course, "assignments": assignments}
    )
    return CoursePage(assignments=assignments, assignments_html=html)


# Rendered fragments keyed by everything they show; a few thousand at most per course
# version (sets of completed lessons repeat: learners mostly go in order).
_fragments = ProcessCache(size=2048)


def render_fragment(template_name: str, key: tuple, context: dict) -> str:
    """Render the template with the context once per key, in this process.

    The key must name every value of the context that the template shows.
    """
    key = (template_name, *key)
    html = _fragments.get(key)
    if html is None:
        html = render_to_string(template_name, context)
        _fragments.set(key, html)
    return html


def render_outline(course, outline, *, access, completed, current=None) -> str:
    """Render the outline beside a lesson, with the reader's marks."""
    total = len(outline.lessons)
    context = {
        "course": course,
        "outline": outline,
        "access": access,
        "completed_ids": completed,
        "percent_complete": round(100 * len(completed) / total) if total else 0,
        "current_pk": current.pk if current else None,
    }
    key = (
        course.pk,
        course.version,
        context["current_pk"],
        access.is_enrolled,
        access.is_previewer,
        completed,
    )
    return render_fragment("includes/outline.html", key, context)


def render_course_modules(course, outline, *, access, completed) -> str:
    """Render the course page's list of modules and lessons, with the reader's marks."""
    context = {"outline": outline, "is_enrolled": access.is_enrolled, "completed_ids": completed}
    key = (course.pk, course.version, access.is_enrolled, completed)
    return render_fragment("includes/course_modules.html", key, context)

"""The course outline, built once per course version and shared by every page."""

from dataclasses import dataclass, field

from django.core.cache import cache
from django.urls import reverse

from config.processcache import ProcessCache

from .models import Course, Lesson, LessonProgress

# Every edit of a course moves its version, so what is keyed on the version never changes.
_per_version = ProcessCache(size=512)


def cached_per_version(course: Course, name: str, build):
    """Return build() for this version of the course, built once and shared by every process.

    Kept in this process as well as in the shared cache (Redis when configured).
    """
    key = f"courseware:{name}:{course.pk}:{course.version}"
    value = _per_version.get(key)
    if value is None:
        value = cache.get(key)
        if value is None:
            value = build()
            cache.set(key, value, timeout=None)
        _per_version.set(key, value)
    return value


@dataclass(frozen=True)
class OutlineLesson:
    pk: int
    title: str
    slug: str
    reading_minutes: int
    is_preview: bool
    number: int
    url: str


@dataclass
class OutlineModule:
    title: str
    summary: str
    lessons: list[OutlineLesson] = field(default_factory=list)


@dataclass
class CourseOutline:
    modules: list[OutlineModule]

    @property
    def lessons(self) -> list[OutlineLesson]:
        return [lesson for module in self.modules for lesson in module.lessons]

    def progress(self, completed) -> tuple[int, int, OutlineLesson | None]:
        """Return (lessons, lessons completed, first lesson not completed) for these ids."""
        lessons = self.lessons
        unfinished = [lesson for lesson in lessons if lesson.pk not in completed]
        return len(lessons), len(lessons) - len(unfinished), next(iter(unfinished), None)

    def lesson_by_slug(self, slug: str) -> OutlineLesson | None:
        return next((lesson for lesson in self.lessons if lesson.slug == slug), None)

    def neighbours(self, lesson_pk: int) -> tuple[OutlineLesson | None, OutlineLesson | None]:
        lessons = self.lessons
        for index, lesson in enumerate(lessons):
            if lesson.pk == lesson_pk:
                previous = lessons[index - 1] if index > 0 else None
                following = lessons[index + 1] if index + 1 < len(lessons) else None
                return previous, following
        return None, None


def get_outline(course: Course) -> CourseOutline:
    """Return the current modules and lessons of the course, in order."""
    return cached_per_version(course, "outline", lambda: _build_outline(course))


def _build_outline(course: Course) -> CourseOutline:
    rows = (
        Lesson.objects.current()
        .filter(course=course)
        .in_order()
        .select_related("module")
        .only(
            "pk", "title", "slug", "reading_minutes", "is_preview",
            "module__id", "module__title", "module__summary",
        )
    )  # fmt: skip
    modules: dict[int, OutlineModule] = {}
    for number, lesson in enumerate(rows, start=1):
        module = modules.setdefault(
            lesson.module.pk,
            OutlineModule(title=lesson.module.title, summary=lesson.module.summary),
        )
        module.lessons.append(
            OutlineLesson(
                pk=lesson.pk,
                title=lesson.title,
                slug=lesson.slug,
                reading_minutes=lesson.reading_minutes,
                is_preview=lesson.is_preview,
                number=number,
                url=reverse(
                    "courseware:lesson-detail",
                    kwargs={"course_slug": course.slug, "lesson_slug": lesson.slug},
                ),
            )
        )
    return CourseOutline(modules=list(modules.values()))


def annotate_progress(enrollments) -> None:
    """Set lessons_total, lessons_completed and resume_slug on the enrollments.

    Counts against each course's current outline, with one query for the whole list
    (the enrollments' courses should be loaded with them).
    """
    outlines = {enrollment.course_id: get_outline(enrollment.course) for enrollment in enrollments}
    lesson_ids = [lesson.pk for outline in outlines.values() for lesson in outline.lessons]
    learner_ids = {enrollment.learner_id for enrollment in enrollments}
    completed: dict[int, set[int]] = {}
    if lesson_ids and learner_ids:
        rows = (
            LessonProgress.objects.completed()
            .filter(learner__in=learner_ids, lesson_id__in=lesson_ids)
            .values_list("learner_id", "lesson_id")
        )
        for learner, lesson in rows:
            completed.setdefault(learner, set()).add(lesson)
    for enrollment in enrollments:
        done = completed.get(enrollment.learner_id, set())
        total, finished, resume = outlines[enrollment.course_id].progress(done)
        enrollment.lessons_total, enrollment.lessons_completed = total, finished
        enrollment.resume_slug = resume.slug if resume else None

"""The course outline, built once per course version and shared by every page."""

from dataclasses import dataclass, field

from django.core.cache import cache
from django.urls import reverse

from .models import Course, Lesson


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
    key = f"courseware:outline:{course.pk}:{course.version}"
    outline = cache.get(key)
    if outline is None:
        outline = _build_outline(course)
        cache.set(key, outline, timeout=None)
    return outline


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


@dataclass
class LessonMaterial:
    """A lesson's knowledge-check questions (with choices) and the case studies that use it."""

    questions: list
    assignments: list


def get_lesson_material(course: Course, lesson: Lesson) -> LessonMaterial:
    """Return the lesson's questions and case studies, cached per course version."""
    key = f"courseware:lesson-material:{course.pk}:{course.version}:{lesson.pk}"
    material = cache.get(key)
    if material is None:
        material = LessonMaterial(
            questions=list(lesson.questions.prefetch_related("choices")),
            assignments=list(lesson.assignments.published().only("slug", "title")),
        )
        cache.set(key, material, timeout=None)
    return material

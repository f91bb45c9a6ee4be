"""Who may open what in a course: the one place that decides it."""

from collections.abc import Collection
from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.http import Http404

from config.rowcache import read_through

from .models import CheckAttempt, Cohort, Course, Enrollment, Lesson, LessonProgress
from .models.course import course_cache_key


def published_course_or_404(slug: str) -> Course:
    """Return the published course with this slug, read through the cache (config.rowcache)."""
    course = read_through(
        course_cache_key(slug), lambda: Course.objects.published().filter(slug=slug).first()
    )
    if course is None:
        raise Http404("No such course.")
    return course


@dataclass(frozen=True)
class CourseAccess:
    """What one user may do in one course, worked out once per request."""

    enrollment: Enrollment | None
    is_previewer: bool

    @property
    def is_enrolled(self) -> bool:
        return self.enrollment is not None

    @property
    def is_preview_mode(self) -> bool:
        # Staff and instructors read without enrolling, and leave no progress behind.
        return self.is_previewer and not self.is_enrolled

    def can_open(self, lesson) -> bool:
        return lesson.is_preview or self.is_enrolled or self.is_previewer


def course_access(user, course: Course) -> CourseAccess:
    """Return the user's access to the course: their enrollment, or a staff preview."""
    if not user.is_authenticated:
        return CourseAccess(enrollment=None, is_previewer=False)
    enrollment = (
        Enrollment.objects.current()
        .filter(learner=user, course=course)
        .select_related("cohort")
        .first()
    )
    # Instructors sign into the admin, so they are staff too.
    return CourseAccess(enrollment=enrollment, is_previewer=user.is_staff)


@dataclass(frozen=True)
class CourseProgress:
    """What one learner has done in one course: lessons opened and completed, one check."""

    opened: frozenset[int] = frozenset()
    completed: frozenset[int] = frozenset()
    check_best: int | None = None
    check_attempts: int = 0


# The learner-specific part of a lesson or outline page, read in one round trip. The ORM
# would take three queries and, on this kind of page, more time building them than the
# database takes to answer (about 1.5 ms against 0.2 ms); everything else on those pages
# comes from what is built once per course version.
_STATE_SQL = """
SELECT 1, e.{e.id}, e.{e.cohort}, e.{e.status}
  FROM {e} e
 WHERE e.{e.learner} = %s AND e.{e.course} = %s AND e.{e.status} <> %s
UNION ALL
SELECT 2, p.{p.lesson}, CASE WHEN p.{p.completed_at} IS NULL THEN 0 ELSE 1 END, NULL
  FROM {p} p
 WHERE p.{p.learner} = %s AND p.{p.lesson} IN ({lessons})
UNION ALL
SELECT 3, COUNT(*), MAX(a.{a.percent}), NULL
  FROM {a} a
 WHERE a.{a.learner} = %s AND a.{a.lesson} = %s
"""


class _Table:
    """A model in SQL text: `{t}` is its quoted table name, `{t.field}` a quoted column."""

    def __init__(self, model):
        self.model = model

    def __str__(self):
        return connection.ops.quote_name(self.model._meta.db_table)

    def __getattr__(self, name):
        return connection.ops.quote_name(self.model._meta.get_field(name).column)


@cache
def _state_sql(lesson_count: int) -> str:
    return _STATE_SQL.format(
        e=_Table(Enrollment),
        p=_Table(LessonProgress),
        a=_Table(CheckAttempt),
        lessons=", ".join(["%s"] * lesson_count),
    )


def _partial_enrollment(**loaded) -> Enrollment:
    """An Enrollment with these fields loaded and the others deferred (read when used)."""
    # from_db() takes the values in the model's field order, whatever order the names are in.
    names = [f.attname for f in Enrollment._meta.concrete_fields if f.attname in loaded]
    return Enrollment.from_db(connection.alias, names, [loaded[name] for name in names])


def read_course_state(
    user, course: Course, *, lesson_ids: Collection[int], check_lesson_id: int | None = None
) -> tuple[CourseAccess, CourseProgress]:
    """Return the user's access to the course and their progress, in one query.

    Progress counts only `lesson_ids` (the course's current lessons); the knowledge-check
    summary is for `check_lesson_id`. Progress is empty unless the user is enrolled.
    """
    if not user.is_authenticated:
        return CourseAccess(enrollment=None, is_previewer=False), CourseProgress()
    lesson_ids = list(lesson_ids) or [0]  # no id is 0: an empty list is not valid SQL
    params = [
        user.pk, course.pk, Enrollment.Status.DROPPED,
        user.pk, *lesson_ids,
        user.pk, check_lesson_id or 0,
    ]  # fmt: skip
    enrollment, opened, completed, best, attempts = None, set(), set(), None, 0
    with connection.cursor() as cursor:
        cursor.execute(_state_sql(len(lesson_ids)), params)
        for kind, first, second, third in cursor.fetchall():
            if kind == 1:
                enrollment = _partial_enrollment(
                    id=first,
                    learner_id=user.pk,
                    cohort_id=second,
                    course_id=course.pk,
                    status=third,
                )
            elif kind == 2:
                opened.add(first)
                if second:
                    completed.add(first)
            else:
                attempts, best = first, second
    access = CourseAccess(enrollment=enrollment, is_previewer=user.is_staff)
    if enrollment is None:
        return access, CourseProgress()
    progress = CourseProgress(
        opened=frozenset(opened),
        completed=frozenset(completed),
        check_best=best,
        check_attempts=attempts,
    )
    return access, progress


@dataclass(frozen=True)
class CourseCard:
    """One course on a learner's dashboard: where they are in it."""

    enrollment_id: int
    course: Course  # pk, slug, title and version only
    cohort_name: str
    status: str  # as shown
    lessons_total: int
    lessons_completed: int
    resume_url: str | None

    @property
    def percent_complete(self) -> int:
        total = self.lessons_total
        return round(100 * self.lessons_completed / total) if total else 0


_CARDS_SQL = """
SELECT e.{e.id}, e.{e.status}, c.{c.id}, c.{c.slug}, c.{c.title}, c.{c.version}, h.{h.name},
       p.{p.lesson}
  FROM {e} e
  JOIN {c} c ON c.{c.id} = e.{e.course}
  JOIN {h} h ON h.{h.id} = e.{e.cohort}
  LEFT JOIN {p} p
    ON p.{p.learner} = e.{e.learner} AND p.{p.completed_at} IS NOT NULL
   AND p.{p.lesson} IN (SELECT s.{s.id} FROM {s} s WHERE s.{s.course} = e.{e.course})
 WHERE e.{e.learner} = %s AND e.{e.status} <> %s
 ORDER BY e.{e.created_at} DESC, e.{e.id}
"""


@cache
def _cards_sql() -> str:
    return _CARDS_SQL.format(
        e=_Table(Enrollment),
        c=_Table(Course),
        h=_Table(Cohort),
        p=_Table(LessonProgress),
        s=_Table(Lesson),
    )


def read_course_cards(user) -> list[CourseCard]:
    """Return the user's current enrollments with their progress, in one query.

    Counts against each course's current outline (built once per course version).
    """
    from .outline import get_outline

    with connection.cursor() as cursor:
        cursor.execute(_cards_sql(), [user.pk, Enrollment.Status.DROPPED])
        rows = cursor.fetchall()
    enrollments: dict[int, tuple] = {}
    completed: dict[int, set[int]] = {}
    for enrollment_id, status, *course_and_cohort, lesson_id in rows:
        enrollments.setdefault(enrollment_id, (status, *course_and_cohort))
        done = completed.setdefault(enrollment_id, set())
        if lesson_id is not None:
            done.add(lesson_id)
    cards = []
    for enrollment_id, (status, pk, slug, title, version, cohort_name) in enrollments.items():
        course = Course(pk=pk, slug=slug, title=title, version=version)
        total, finished, resume = get_outline(course).progress(completed[enrollment_id])
        cards.append(
            CourseCard(
                enrollment_id=enrollment_id,
                course=course,
                cohort_name=cohort_name,
                status=Enrollment.Status(status).label,
                lessons_total=total,
                lessons_completed=finished,
                resume_url=resume.url if resume else None,
            )
        )
    return cards

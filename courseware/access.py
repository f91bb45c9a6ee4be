"""Who may open what in a course: the one place that decides it."""

from collections.abc import Collection
from dataclasses import dataclass

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
SELECT 1, e.{e_id}, e.{e_cohort}, e.{e_status}
  FROM {enrollment} e
 WHERE e.{e_learner} = %s AND e.{e_course} = %s AND e.{e_status} <> %s
UNION ALL
SELECT 2, p.{p_lesson}, CASE WHEN p.{p_completed} IS NULL THEN 0 ELSE 1 END, NULL
  FROM {progress} p
 WHERE p.{p_learner} = %s AND p.{p_lesson} IN ({lessons})
UNION ALL
SELECT 3, COUNT(*), MAX(a.{a_percent}), NULL
  FROM {attempt} a
 WHERE a.{a_learner} = %s AND a.{a_lesson} = %s
"""


def _column(model, name):
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _state_sql(lesson_count: int) -> str:
    quote = connection.ops.quote_name
    return _STATE_SQL.format(
        enrollment=quote(Enrollment._meta.db_table),
        e_id=_column(Enrollment, "id"),
        e_cohort=_column(Enrollment, "cohort"),
        e_status=_column(Enrollment, "status"),
        e_learner=_column(Enrollment, "learner"),
        e_course=_column(Enrollment, "course"),
        progress=quote(LessonProgress._meta.db_table),
        p_lesson=_column(LessonProgress, "lesson"),
        p_completed=_column(LessonProgress, "completed_at"),
        p_learner=_column(LessonProgress, "learner"),
        lessons=", ".join(["%s"] * lesson_count),
        attempt=quote(CheckAttempt._meta.db_table),
        a_percent=_column(CheckAttempt, "percent"),
        a_learner=_column(CheckAttempt, "learner"),
        a_lesson=_column(CheckAttempt, "lesson"),
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
SELECT e.{e_id}, e.{e_status}, c.{c_id}, c.{c_slug}, c.{c_title}, c.{c_version}, h.{h_name},
       p.{p_lesson}
  FROM {enrollment} e
  JOIN {course} c ON c.{c_id} = e.{e_course}
  JOIN {cohort} h ON h.{h_id} = e.{e_cohort}
  LEFT JOIN {progress} p
    ON p.{p_learner} = e.{e_learner} AND p.{p_completed} IS NOT NULL
   AND p.{p_lesson} IN (SELECT l.{l_id} FROM {lesson} l WHERE l.{l_course} = e.{e_course})
 WHERE e.{e_learner} = %s AND e.{e_status} <> %s
 ORDER BY e.{e_created} DESC, e.{e_id}
"""


def read_course_cards(user) -> list[CourseCard]:
    """Return the user's current enrollments with their progress, in one query.

    Counts against each course's current outline (built once per course version).
    """
    from .outline import get_outline

    quote = connection.ops.quote_name
    sql = _CARDS_SQL.format(
        enrollment=quote(Enrollment._meta.db_table),
        e_id=_column(Enrollment, "id"),
        e_status=_column(Enrollment, "status"),
        e_course=_column(Enrollment, "course"),
        e_cohort=_column(Enrollment, "cohort"),
        e_learner=_column(Enrollment, "learner"),
        e_created=_column(Enrollment, "created_at"),
        course=quote(Course._meta.db_table),
        c_id=_column(Course, "id"),
        c_slug=_column(Course, "slug"),
        c_title=_column(Course, "title"),
        c_version=_column(Course, "version"),
        cohort=quote(Cohort._meta.db_table),
        h_id=_column(Cohort, "id"),
        h_name=_column(Cohort, "name"),
        progress=quote(LessonProgress._meta.db_table),
        p_lesson=_column(LessonProgress, "lesson"),
        p_learner=_column(LessonProgress, "learner"),
        p_completed=_column(LessonProgress, "completed_at"),
        lesson=quote(Lesson._meta.db_table),
        l_id=_column(Lesson, "id"),
        l_course=_column(Lesson, "course"),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, Enrollment.Status.DROPPED])
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

"""Fill a benchmark database with learners, cohorts, progress, checks, submissions and grades.

For load tests (bench/run), never for a site with real users: every account it makes has an
address at LOAD_DOMAIN, and it refuses to run where other accounts exist unless forced. Rows
are written with bulk_create in batches, in one transaction, from a seeded random generator,
so the same options give the same data.
"""

import random
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model

from accounts import roles
from accounts.models import User
from courseware import grading
from courseware.models import (
    Assignment,
    AssignmentSchedule,
    CheckAttempt,
    Cohort,
    Course,
    Enrollment,
    Grade,
    Lesson,
    LessonProgress,
    Question,
    Submission,
)
from courseware.services.schedules import default_due_at
from integrations.models import ApiClient
from integrations.scopes import SCOPES

from .create_demo_data import DEMO_ACCOUNTS

LOAD_DOMAIN = "load.example"
# Every load account shares this password, hashed once: bench/run signs in with it.
LOAD_PASSWORD = "load-test-2026"  # noqa: S105
BENCH_INSTRUCTOR = f"instructor@{LOAD_DOMAIN}"
BIG_COHORT = "load-big"
GRADEBOOK_COHORT = "load-gradebook"
API_CLIENT_NAME = "Load test client"
SMALL_COHORT_AVERAGE = 20
COHORT_WEEKS = 10
CHUNK = 5000
ZONES = ["UTC", "Europe/Brussels", "America/New_York", "Asia/Tokyo", "Asia/Seoul",
         "Europe/London", "America/Sao_Paulo", "Africa/Nairobi", "Australia/Sydney"]  # fmt: skip
FIRST = ["Ana", "Ben", "Chen", "Dana", "Emeka", "Fatima", "Goran", "Hana", "Ivan", "Jae",
         "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq",
         "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zofia"]  # fmt: skip
LAST = ["Ruiz", "Kim", "Okafor", "Novak", "Haddad", "Tanaka", "Silva", "Schmidt", "Moreau",
        "Rossi", "Nguyen", "Kowalski", "Mensah", "Ivanova", "Park", "Costa", "Dubois", "Larsen",
        "Patel", "Yilmaz", "Jensen", "Horvat", "Sato", "Abebe"]  # fmt: skip
SENTENCES = [
    "Joint exercises build interoperability and signal commitment to allies.",
    "Cultural exchange lets both publics see the alliance as more than a defence arrangement.",
    "Military attachés keep channels open when formal diplomacy stalls.",
    "Humanitarian deployments earn goodwill that outlasts the mission itself.",
    "A third party may read the same exercise as a rehearsal for aggression.",
    "Soft power works through attraction rather than coercion, as Nye argued.",
    "Education programmes create personal ties between officers of different countries.",
    "Port visits and band concerts reach audiences that communiqués never do.",
    "Misinterpretation is most likely when intentions are not explained in advance.",
    "Credibility depends on consistency between what forces say and what they do.",
    "Local communities near bases shape how the whole relationship is perceived.",
    "The evidence suggests the claim holds, with important limits in times of crisis.",
]
FEEDBACK = [
    "Clear structure and good use of the course's definitions.",
    "Strong evidence; the evaluation of limits could go further.",
    "Cite your sources consistently and tighten the conclusion.",
    "A thoughtful judgment with a practical recommendation.",
    "",
]


def load_accounts():
    """Return the accounts of load tests: at LOAD_DOMAIN, or a subdomain (bench/run's own)."""
    return User.objects.filter(
        Q(email__iendswith=f"@{LOAD_DOMAIN}") | Q(email__iendswith=f".{LOAD_DOMAIN}")
    )


@contextmanager
def explicit_timestamps(*models):
    """Let bulk_create keep the times given for auto_now fields instead of stamping now()."""
    fields = [
        f
        for model in models
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


@dataclass
class AssignmentPlan:
    assignment: Assignment
    ready_after: int  # lessons a learner completes before attempting it
    criteria: list[tuple[int, str, list, Decimal]]  # (id, title, levels high→low, max points)


@dataclass
class Content:
    """The course as the generator needs it, read once."""

    lessons: list[Lesson]
    checks: dict[int, list[tuple[int, list[int], list[int]]]]  # lesson → (question, right, wrong)
    assignments: list[AssignmentPlan] = field(default_factory=list)

    @classmethod
    def load(cls, course: Course) -> "Content":
        lessons = list(Lesson.objects.current().filter(course=course).in_order())
        index = {lesson.pk: number for number, lesson in enumerate(lessons, start=1)}
        checks: dict[int, list] = {}
        questions = Question.objects.filter(lesson__in=lessons).prefetch_related("choices")
        for question in questions:
            right = [c.pk for c in question.choices.all() if c.is_correct]
            wrong = [c.pk for c in question.choices.all() if not c.is_correct] or right
            checks.setdefault(question.lesson_id, []).append((question.pk, right, wrong))
        plans = []
        assignments = list(
            Assignment.objects.published()
            .filter(course=course)
            .prefetch_related("lessons", "criteria__levels")
        )
        for position, assignment in enumerate(assignments, start=1):
            linked = [index[lesson.pk] for lesson in assignment.lessons.all() if lesson.pk in index]
            ready_after = max(linked, default=round(position * len(lessons) / len(assignments)))
            criteria = []
            for criterion in assignment.criteria.all():
                levels = sorted(criterion.levels.all(), key=lambda level: -level.points)
                if levels:
                    criteria.append((criterion.pk, criterion.title, levels, levels[0].points))
            plans.append(AssignmentPlan(assignment, ready_after, criteria))
        return cls(lessons=lessons, checks=checks, assignments=plans)


class Command(BaseCommand):
    help = (
        "Fill a benchmark database with load-test learners (at @load.example), cohorts, "
        "progress, knowledge-check attempts, submissions and grades, with bulk inserts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, default=100_000)
        parser.add_argument("--cohorts", type=int, default=500, help="At least 2.")
        parser.add_argument(
            "--big-cohort-size",
            type=int,
            default=None,
            help="Enrollment rows in the big open cohort (default: one per learner): its "
            "current learners plus earlier, dropped enrollments of learners who moved on.",
        )
        parser.add_argument(
            "--gradebook-cohort-size",
            type=int,
            default=5000,
            help="Learners in the instructor-led cohort graded by the bench instructor.",
        )
        parser.add_argument("--course", default="", help="Course slug (default: the only one).")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument(
            "--force", action="store_true", help="Run even though the database has real users."
        )
        parser.add_argument(
            "--skip-existing",
            action="store_true",
            help="Exit successfully, writing nothing, when load data already exists.",
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        course = self._course(options["course"])
        if self._load_data_exists(course, options["skip_existing"]):
            return
        self._refuse_real_users(options["force"])
        if options["cohorts"] < 2 or options["learners"] < 10:
            raise CommandError("Make at least 10 learners and 2 cohorts.")
        generator = Generator(
            course=course,
            rng=random.Random(options["seed"]),  # noqa: S311 (seeded test data, not secrets)
            batch_size=options["batch_size"],
            log=self.stdout.write,
        )
        with (
            transaction.atomic(),
            explicit_timestamps(User, Enrollment, LessonProgress, CheckAttempt, Submission, Grade),
        ):
            generator.run(
                learners=options["learners"],
                cohorts=options["cohorts"],
                big_rows=options["big_cohort_size"],
                gradebook_size=options["gradebook_cohort_size"],
            )
        self._analyze()
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Load data created in {elapsed:.1f} s:"))
        for label, count in generator.counts.items():
            self.stdout.write(f"  {label:<28} {count:>10,}")
        self.stdout.write(generator.summary())

    def _course(self, slug):
        # bench/run's import scenario adds "bench-…" courses for a moment: never those.
        courses = Course.objects.exclude(slug__startswith="bench-")
        courses = courses.filter(slug=slug) if slug else courses
        if not courses.exists():
            raise CommandError(
                "No course to load learners into: import the course first, e.g.\n"
                "  manage.py import_course fixtures/military-diplomacy/document.txt "
                "--outline fixtures/military-diplomacy/outline.toml "
                "--checks fixtures/military-diplomacy/checks.toml "
                "--assignments fixtures/military-diplomacy/assignments.toml"
            )
        if courses.count() > 1:
            raise CommandError("There are several courses: name one with --course SLUG.")
        return courses.get()

    def _load_data_exists(self, course, skip) -> bool:
        learners = User.objects.filter(email__iendswith=f"@{LOAD_DOMAIN}").count()
        cohorts = course.cohorts.filter(slug__startswith="load-").count()
        if not (learners or cohorts):
            return False
        message = (
            f"Load data already exists: {learners:,} accounts at @{LOAD_DOMAIN} and {cohorts} "
            "load cohorts. Nothing was written."
        )
        if skip:
            self.stdout.write(message)
            return True
        raise CommandError(
            f"{message} Start again from an empty database (BENCH_RESET=1 bench/run does)."
        )

    def _refuse_real_users(self, force):
        demo = [email for _, email, *_ in DEMO_ACCOUNTS]
        real = (
            User.objects.exclude(pk__in=load_accounts().values("pk"))
            .exclude(email__in=demo)
            .count()
        )
        if real and not force:
            plural = "" if real == 1 else "s"
            raise CommandError(
                f"This database has {real:,} real account{plural}. Load data belongs in a "
                "benchmark database (bench/run makes course_bench_<learners>); use --force only "
                "if this really is one."
            )

    def _analyze(self):
        # Fresh tables have no statistics: without them the planner guesses, and the
        # benchmark would measure plans production never runs.
        tables = [model._meta.db_table for model in Generator.models]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
            elif connection.vendor == "postgresql":
                # Inside a caller's transaction (tests) VACUUM is not allowed; ANALYZE is.
                cursor.execute(f"ANALYZE {', '.join(tables)}")
            else:
                cursor.execute("ANALYZE")


class Generator:
    """Write the load data; one instance per run, driven by one seeded random generator."""

    models = [User, Cohort, AssignmentSchedule, Enrollment, LessonProgress, CheckAttempt,
              Submission, Grade, User.groups.through, Cohort.instructors.through]  # fmt: skip

    def __init__(self, *, course, rng, batch_size, log):
        self.course = course
        self.rng = rng
        self.batch_size = batch_size
        self.log = log
        self.now = timezone.now()
        self.password = make_password(LOAD_PASSWORD)
        self.counts = Counter()
        self.bodies = [" ".join(rng.sample(SENTENCES, rng.randint(4, 10))) for _ in range(200)]

    def run(self, *, learners, cohorts, big_rows, gradebook_size):
        self.content = Content.load(self.course)
        if not self.content.lessons:
            raise CommandError(f"{self.course} has no lessons: import its document first.")
        self.learners_group = Group.objects.get_or_create(name=roles.LEARNERS)[0]
        self._cohorts(cohorts)
        self._instructors()
        self._place_learners(learners, big_rows, gradebook_size)
        for start in range(0, learners, CHUNK):
            self._learner_chunk(range(start, min(start + CHUNK, learners)))
            self.log(f"  … {min(start + CHUNK, learners):,} of {learners:,} learners")
        self._api_client()

    def _bulk(self, model, objects, label=None):
        created = model.objects.bulk_create(objects, batch_size=self.batch_size)
        self.counts[label or model._meta.verbose_name_plural] += len(created)
        return created

    def _ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    # Cohorts, their dates and instructors.

    def _cohorts(self, count):
        today = timezone.localdate()
        policies = [Cohort.JoinPolicy.INSTRUCTORS, Cohort.JoinPolicy.CODE, Cohort.JoinPolicy.OPEN]
        cohorts = [
            Cohort(
                course=self.course, name="Load: self-paced (big)", slug=BIG_COHORT,
                starts_on=today - timedelta(days=400), timezone="UTC",
                join_policy=Cohort.JoinPolicy.OPEN,
            ),
            Cohort(
                course=self.course, name="Load: instructor-led (gradebook)",
                slug=GRADEBOOK_COHORT, starts_on=today - timedelta(days=75),
                ends_on=today + timedelta(days=15), timezone="Europe/Brussels",
                join_policy=Cohort.JoinPolicy.INSTRUCTORS,
            ),
        ]  # fmt: skip
        for number in range(3, count + 1):
            starts_on = today - timedelta(days=self.rng.randint(20, 300))
            policy = policies[number % len(policies)]
            cohorts.append(
                Cohort(
                    course=self.course,
                    name=f"Load: cohort {number:03d}",
                    slug=f"load-{number:03d}",
                    starts_on=starts_on,
                    ends_on=starts_on + timedelta(days=90),
                    timezone=self.rng.choice(ZONES),
                    join_policy=policy,
                    join_code=f"LOAD{number:03d}" if policy == Cohort.JoinPolicy.CODE else "",
                )
            )
        self.cohorts = self._bulk(Cohort, cohorts)
        self.due = {}  # (cohort index, assignment id) → due date
        schedules = []
        for index, cohort in enumerate(self.cohorts):
            for plan in self.content.assignments:
                # The big cohort is self-paced: no due dates, so nobody is late.
                due_at = default_due_at(cohort=cohort, assignment=plan.assignment)
                if index == 0:
                    due_at = None
                self.due[index, plan.assignment.pk] = due_at
                schedules.append(
                    AssignmentSchedule(assignment=plan.assignment, cohort=cohort, due_at=due_at)
                )
        self._bulk(AssignmentSchedule, schedules, "assignment schedules")

    def _instructors(self):
        group = Group.objects.get_or_create(name=roles.INSTRUCTORS)[0]
        count = max(1, len(self.cohorts) // 10)
        emails = [BENCH_INSTRUCTOR] + [f"instructor-{n:03d}@{LOAD_DOMAIN}" for n in range(count)]
        instructors = self._bulk(
            User,
            [
                User(
                    email=email,
                    display_name=f"Instructor {n}",
                    is_staff=True,
                    password=self.password,
                    date_joined=self._ago(500),
                    updated_at=self.now,
                )
                for n, email in enumerate(emails)
            ],  # fmt: skip
            "instructors",
        )
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=user.pk, group_id=group.pk) for user in instructors]
        )
        # The bench instructor runs the gradebook cohort alone; the others share the rest.
        self.grader = {1: instructors[0].pk}
        through = Cohort.instructors.through
        links = [through(cohort_id=self.cohorts[1].pk, user_id=instructors[0].pk)]
        for index, cohort in enumerate(self.cohorts):
            if index != 1:
                teacher = instructors[1 + index % count]
                self.grader[index] = teacher.pk
                links.append(through(cohort_id=cohort.pk, user_id=teacher.pk))
        self._bulk(Cohort.instructors.through, links, "cohort instructors")

    def _place_learners(self, learners, big_rows, gradebook_size):
        """Choose each learner's cohort, and who has an earlier, dropped big-cohort enrollment."""
        small_cohorts = len(self.cohorts) - 2
        gradebook = min(gradebook_size, learners // 2)
        small = min(SMALL_COHORT_AVERAGE * small_cohorts, learners // 4) if small_cohorts else 0
        order = list(range(learners))
        self.rng.shuffle(order)
        self.cohort_of = [0] * learners
        for position, learner in enumerate(order[: gradebook + small]):
            self.cohort_of[learner] = 1 if position < gradebook else 2 + position % small_cohorts
        big_current = learners - gradebook - small
        wanted = learners if big_rows is None else big_rows
        earlier = max(0, min(wanted - big_current, gradebook + small))
        if wanted - big_current > earlier:
            self.log(f"The big cohort can have at most {big_current + earlier:,} rows.")
        self.dropped_earlier = set(self.rng.sample(order[: gradebook + small], earlier))
        self.placement = {"big": big_current, "gradebook": gradebook, "small": small,
                          "big rows": big_current + earlier}  # fmt: skip

    # Learners, a chunk at a time: accounts, enrollments, progress, checks, work and grades.

    def _learner_chunk(self, numbers):
        rng = self.rng
        users = []
        for number in numbers:
            joined = self._ago(rng.uniform(1, 390)) if self.cohort_of[number] == 0 else (
                self._cohort_start(self.cohort_of[number]) - timedelta(days=rng.uniform(1, 30))
            )  # fmt: skip
            users.append(
                User(
                    email=f"learner{number + 1:06d}@{LOAD_DOMAIN}",
                    display_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    timezone=rng.choice(ZONES),
                    password=self.password,
                    date_joined=joined,
                    updated_at=joined,
                )
            )
        users = self._bulk(User, users, "learners")
        membership = User.groups.through
        group_id = self.learners_group.pk
        self._bulk(
            membership,
            [membership(user_id=user.pk, group_id=group_id) for user in users],
            "learner group memberships",
        )
        enrollments, progress, attempts, work = [], [], [], []
        for number, user in zip(numbers, users, strict=True):
            index = self.cohort_of[number]
            if number in self.dropped_earlier:
                enrollments.append(self._enrollment(user, 0, user.date_joined, dropped=True))
            enrolled_at = max(user.date_joined, self._cohort_start(index)) + timedelta(hours=1)
            completions = self._progress(user, index, enrolled_at, progress, attempts)
            enrollment = self._enrollment(user, index, enrolled_at, completions=completions)
            enrollments.append(enrollment)
            if enrollment.status != Enrollment.Status.DROPPED:
                work += self._work(user, index, enrolled_at, completions)
        self._bulk(Enrollment, enrollments, "enrollments")
        self._bulk(LessonProgress, progress, "lesson progress")
        self._bulk(CheckAttempt, attempts, "check attempts")
        submissions = self._bulk(Submission, [submission for submission, _ in work], "submissions")
        grades = []
        for submission, (_, grade) in zip(submissions, work, strict=True):
            if grade is not None:
                grade.submission_id = submission.pk
                grades.append(grade)
        self._bulk(Grade, grades, "grades")

    def _cohort_start(self, index) -> datetime:
        starts_on = self.cohorts[index].starts_on
        return datetime(starts_on.year, starts_on.month, starts_on.day, 9, tzinfo=UTC)

    def _enrollment(self, user, index, enrolled_at, *, completions=(), dropped=False):
        status, completed_at, updated_at = Enrollment.Status.ACTIVE, None, enrolled_at
        if dropped or (index == 0 and self.rng.random() < 0.03):
            status = Enrollment.Status.DROPPED
            updated_at = enrolled_at + timedelta(days=self.rng.uniform(1, 20))
        elif len(completions) == len(self.content.lessons):
            status, completed_at = Enrollment.Status.COMPLETED, completions[-1]
        if completions:
            updated_at = max(updated_at, completions[-1])
        sources = [Enrollment.Source.SELF, Enrollment.Source.CSV, Enrollment.Source.API]
        return Enrollment(
            learner_id=user.pk,
            cohort_id=self.cohorts[index].pk,
            course_id=self.course.pk,
            status=status,
            source=sources[min(index, 2)],
            created_at=enrolled_at,
            updated_at=min(updated_at, self.now),
            completed_at=completed_at,
        )

    def _completed_count(self, index) -> int:
        lessons, r = len(self.content.lessons), self.rng.random()
        if index == 0:  # self-paced: many stop early, a tenth finish
            if r < 0.2:
                return 0
            if r < 0.3:
                return lessons
            return min(lessons, int(self.rng.expovariate(1 / 5)) + 1)
        if r < 0.05:  # instructor-led: most keep up
            return 0
        if r < 0.35:
            return lessons
        return self.rng.randint(min(3, lessons), lessons)

    def _progress(self, user, index, enrolled_at, progress, attempts) -> list[datetime]:
        """Append the learner's progress and check attempts; return lesson completion times."""
        rng, lessons = self.rng, self.content.lessons
        done = self._completed_count(index)
        if index == 0:  # self-paced: any time since enrolling
            span = max((self.now - enrolled_at).total_seconds(), 3600)
            times = [enrolled_at + timedelta(seconds=rng.uniform(0, span)) for _ in range(done)]
        else:  # instructor-led: lessons follow the cohort's ten-week plan, none ahead of today
            step = timedelta(days=COHORT_WEEKS * 7 / len(lessons))
            times = [enrolled_at + step * (n + rng.uniform(0.2, 1)) for n in range(done)]
            times = [moment for moment in times if moment < self.now]
        times.sort()
        for lesson, completed_at in zip(lessons, times, strict=False):
            started_at = completed_at - timedelta(minutes=rng.uniform(5, 90))
            progress.append(
                LessonProgress(learner_id=user.pk, lesson_id=lesson.pk, started_at=started_at,
                               completed_at=completed_at, updated_at=completed_at)
            )  # fmt: skip
            if lesson.pk in self.content.checks and rng.random() < 0.85:
                self._attempts(user, lesson, completed_at, attempts)
        done = len(times)
        if done < len(lessons) and rng.random() < 0.6:
            started_at = (times[-1] if times else enrolled_at) + timedelta(hours=rng.uniform(1, 48))
            started_at = min(started_at, self.now)
            progress.append(
                LessonProgress(learner_id=user.pk, lesson_id=lessons[done].pk,
                               started_at=started_at, updated_at=started_at)
            )  # fmt: skip
        return times

    def _attempts(self, user, lesson, completed_at, attempts):
        questions = self.content.checks[lesson.pk]
        tries = 1 if self.rng.random() < 0.7 else (2 if self.rng.random() < 0.75 else 3)
        for attempt in range(tries):
            answers, score = {}, 0
            for question, right, wrong in questions:
                correct = self.rng.random() < 0.6 + 0.15 * attempt
                answers[str(question)] = sorted(right if correct else [self.rng.choice(wrong)])
                score += correct
            at = min(completed_at + timedelta(minutes=2 + 10 * attempt), self.now)
            attempts.append(
                CheckAttempt(learner_id=user.pk, lesson_id=lesson.pk, answers=answers,
                             score=score, max_score=len(questions),
                             percent=round(100 * score / len(questions)), created_at=at)
            )  # fmt: skip

    def _work(self, user, index, enrolled_at, completions):
        """Return [(submission, grade or None)] for the assignments the learner reached.

        Self-paced learners write a case study once they finish its lessons; instructor-led
        ones write to the cohort's due dates, a tenth of them late.
        """
        rng, work = self.rng, []
        share = 0.5 if index == 0 else 0.9
        for plan in self.content.assignments:
            due_at = self.due[index, plan.assignment.pk]
            if due_at is None:
                reached = len(completions) >= plan.ready_after
            else:
                reached = bool(completions) and (due_at < self.now or rng.random() < 0.2)
            if not reached:
                if rng.random() < 0.05:  # started writing, not handed in
                    work.append((self._draft(user, index, plan, enrolled_at), None))
                break
            if rng.random() >= share:
                continue
            if due_at is None:
                at = completions[plan.ready_after - 1] + timedelta(hours=rng.uniform(2, 120))
            elif rng.random() < 0.1:
                at = due_at + timedelta(hours=rng.uniform(1, 80))
            else:
                at = due_at - timedelta(hours=rng.uniform(0.2, 72))
            attempts = 2 if plan.assignment.max_attempts > 1 and rng.random() < 0.15 else 1
            for attempt in range(1, attempts + 1):
                at = min(at, self.now - timedelta(minutes=rng.uniform(1, 180)))
                work.append(
                    self._handed_in(user, index, plan, attempt, at, last=attempt == attempts)
                )
                at += timedelta(hours=rng.uniform(2, 120))
        return work

    def _draft(self, user, index, plan, enrolled_at):
        at = min(enrolled_at + timedelta(days=self.rng.uniform(1, 30)), self.now)
        body = self.rng.choice(self.bodies)
        return Submission(
            assignment_id=plan.assignment.pk, learner_id=user.pk,
            cohort_id=self.cohorts[index].pk, attempt=1, status=Submission.Status.DRAFT,
            body=body, word_count=len(body.split()), created_at=at, updated_at=at,
        )  # fmt: skip

    def _handed_in(self, user, index, plan, attempt, submitted_at, *, last):
        rng, assignment = self.rng, plan.assignment
        due_at = self.due[index, assignment.pk]
        days_late = 0
        if due_at is not None:
            days_late = grading.days_late(
                submitted_at=submitted_at, due_at=due_at, tz=self.cohorts[index].timezone
            )
            if assignment.hard_cutoff_days is not None:
                days_late = min(days_late, assignment.hard_cutoff_days)
        penalty = grading.late_penalty_percent(
            days=days_late, per_day=assignment.late_percent_per_day, cap=assignment.late_cap_percent
        )
        # Earlier attempts were graded and released; the latest may still wait in the queue.
        r = rng.random() if last else 0.0
        awaiting = 0.25 if index == 1 else 0.15
        state = "released" if r < 0.85 - awaiting else "graded"
        if r >= 1 - awaiting:
            state = "awaiting"
        body = rng.choice(self.bodies)
        submission = Submission(
            assignment_id=assignment.pk, learner_id=user.pk, cohort_id=self.cohorts[index].pk,
            attempt=attempt,
            status=Submission.Status.SUBMITTED if state == "awaiting" else Submission.Status.GRADED,
            body=body, word_count=len(body.split()),
            created_at=submitted_at - timedelta(hours=rng.uniform(1, 48)),
            updated_at=submitted_at, submitted_at=submitted_at, due_at=due_at,
            days_late=days_late, penalty_percent=penalty,
        )  # fmt: skip
        if state == "awaiting" or not plan.criteria:
            return submission, None
        graded_at = min(submitted_at + timedelta(hours=rng.uniform(1, 168)), self.now)
        rubric, raw = [], Decimal(0)
        for criterion_id, title, levels, max_points in plan.criteria:
            level = levels[min(int(rng.expovariate(1.2)), len(levels) - 1)]
            raw += level.points
            rubric.append({"criterion_id": criterion_id, "criterion": title,
                           "level_id": level.pk, "level": level.title,
                           "points": str(level.points), "max_points": str(max_points),
                           "comment": ""})  # fmt: skip
        submission.status = Submission.Status.GRADED
        submission.updated_at = graded_at
        released_at = graded_at if state == "released" else None
        grade = Grade(
            grader_id=self.grader[index], rubric=rubric, feedback=rng.choice(FEEDBACK),
            raw_score=raw, penalty_percent=penalty, score=grading.apply_penalty(raw, penalty),
            points_possible=assignment.points_possible, released_at=released_at,
            created_at=graded_at, updated_at=graded_at,
        )  # fmt: skip
        return submission, grade

    def _api_client(self):
        """Make an API client with every scope over the load cohorts; bench/run sets its secret."""
        application_model = get_application_model()
        application = application_model.objects.create(
            name=API_CLIENT_NAME,
            client_type=application_model.CLIENT_CONFIDENTIAL,
            authorization_grant_type=application_model.GRANT_CLIENT_CREDENTIALS,
            client_secret=generate_client_secret(),
            hash_client_secret=True,
        )
        client = ApiClient.objects.create(
            application=application, name=API_CLIENT_NAME, scopes=sorted(SCOPES)
        )
        client.cohorts.set(self.cohorts)
        self.client_id = application.client_id
        self.counts["API clients"] += 1

    def summary(self) -> str:
        placement = self.placement
        return (
            f"Cohorts: {BIG_COHORT} (id {self.cohorts[0].pk}) holds {placement['big']:,} current "
            f"learners in {placement['big rows']:,} rows; {GRADEBOOK_COHORT} (id "
            f"{self.cohorts[1].pk}) holds {placement['gradebook']:,}, taught by "
            f"{BENCH_INSTRUCTOR}; "
            f"{len(self.cohorts) - 2} more share {placement['small']:,}.\n"
            f"Accounts: learner000001@{LOAD_DOMAIN} … and {BENCH_INSTRUCTOR}, password "
            f"{LOAD_PASSWORD!r}. API client {API_CLIENT_NAME!r}: {self.client_id} (set its secret "
            "in admin, or let bench/run do it)."
        )

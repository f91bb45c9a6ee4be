from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts import roles
from accounts.services import ensure_user
from courseware import services
from courseware.models import Cohort, Course, Enrollment, Submission

DEMO_ACCOUNTS = [
    # (label, email, password, name, role); README lists the same.
    ("learner", "learner@example.com", "learn-diplomacy-2026", "Dana Learner", roles.LEARNERS),
    (
        "instructor",
        "instructor@example.com",
        "teach-diplomacy-2026",
        "Ian Instructor",
        roles.INSTRUCTORS,
    ),
    ("admin", "admin@example.com", "run-diplomacy-2026", "Ada Admin", roles.STAFF),
]
DEMO_ANSWER = """The partnership between the United States and South Korea shows how joint military
exercises and cultural exchange programs can work together. The exercises build
interoperability and signal commitment, while exchanges build the mutual understanding
that lets both publics see the alliance as more than a defence arrangement.

Draft submitted by the demo learner so that the grading queue has work waiting."""


class Command(BaseCommand):
    help = "Create the demo accounts, a demo cohort, and a submission waiting to be graded."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (a production database)."
        )

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to create demo accounts with known passwords while DEBUG is off. "
                "Use --force if this really is a demo site."
            )
        users = {}
        for label, email, password, name, role in DEMO_ACCOUNTS:
            user, created = ensure_user(
                email=email, password=password, display_name=name, role=role
            )
            if role == roles.STAFF:
                user.is_superuser = True
                user.save(update_fields=["is_superuser"])
            users[label] = user
            verb = "Created" if created else "Reset"
            self.stdout.write(f"{verb} demo {label}: {email} / {password}")
        course = Course.objects.published().first()
        if course is None:
            self.stdout.write("No course yet: import one, then run this again for the demo cohort.")
            return
        cohort = self._demo_cohort(course, users["instructor"])
        enrollment = self._enroll(users["learner"], course, cohort)
        self._submit_case_study(course, enrollment)

    def _demo_cohort(self, course, instructor):
        today = timezone.localdate()
        cohort, created = Cohort.objects.get_or_create(
            course=course,
            slug="demo",
            defaults={
                "name": "Demo cohort",
                "starts_on": today - timedelta(days=10),
                "ends_on": today + timedelta(days=70),
                "timezone": "Europe/Brussels",
                "join_policy": Cohort.JoinPolicy.INSTRUCTORS,
            },
        )
        cohort.instructors.add(instructor)
        for default in course.cohorts.filter(is_default=True):
            default.instructors.add(instructor)
        services.schedule_cohort(cohort=cohort)
        self.stdout.write(
            f"{'Created' if created else 'Kept'} cohort: {cohort.name}, "
            f"taught by {instructor.email}"
        )
        return cohort

    def _enroll(self, learner, course, cohort):
        enrollment = Enrollment.objects.current().filter(learner=learner, course=course).first()
        if enrollment is None:
            enrollment, _ = services.enroll_learner(
                learner=learner, course=course, cohort=cohort, source=Enrollment.Source.ADMIN
            )
        self.stdout.write(f"Demo learner is enrolled in {enrollment.cohort.name}.")
        return enrollment

    def _submit_case_study(self, course, enrollment):
        assignment = course.assignments.published().first()
        if (
            assignment is None
            or Submission.objects.filter(assignment=assignment, learner=enrollment.learner)
            .handed_in()
            .exists()
        ):
            return
        services.submit_work(
            assignment=assignment, enrollment=enrollment, body=DEMO_ANSWER, attempt=1
        )
        self.stdout.write(
            f"Submitted “{assignment.title}” for the demo learner: it waits in the grading queue."
        )

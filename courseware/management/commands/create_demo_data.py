from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import roles
from accounts.services import ensure_user
from courseware.models import Course

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


class Command(BaseCommand):
    help = "Create the demo learner, instructor and admin accounts (development only)."

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
        for label, email, password, name, role in DEMO_ACCOUNTS:
            user, created = ensure_user(
                email=email, password=password, display_name=name, role=role
            )
            if role == roles.STAFF:
                user.is_superuser = True
                user.save(update_fields=["is_superuser"])
            if role == roles.INSTRUCTORS:
                for course in Course.objects.all():
                    for cohort in course.cohorts.filter(is_default=True):
                        cohort.instructors.add(user)
            verb = "Created" if created else "Reset"
            self.stdout.write(f"{verb} demo {label}: {email} / {password}")

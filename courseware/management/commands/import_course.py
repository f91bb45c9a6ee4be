from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from courseware import documents
from courseware.assessment_import import AssessmentReport, import_assignments, import_checks
from courseware.importing import import_course


class Command(BaseCommand):
    help = "Build or update a course from a plain-text or Markdown document, in one transaction."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The course document (.txt or .md).")
        parser.add_argument("--outline", help="A TOML outline grouping sections into modules.")
        parser.add_argument("--checks", help="A TOML file of knowledge-check questions.")
        parser.add_argument("--assignments", help="A TOML file of case-study assignments.")
        parser.add_argument("--title", default="", help="Course title (default: the outline's).")
        parser.add_argument("--slug", default="", help="Course slug (default: from the title).")
        parser.add_argument(
            "--format",
            choices=["auto", "text", "markdown"],
            default="auto",
            help="How to read the document (default: by extension, then by content).",
        )

    def handle(self, *args, **options):
        try:
            text = documents.read_file(options["path"])
            markdown = (
                options["format"] == "markdown"
                if options["format"] != "auto"
                else documents.is_markdown(text, options["path"])
            )
            document = documents.parse_document(text, markdown=markdown)
            outline = None
            if options["outline"]:
                outline = documents.parse_outline(
                    documents.read_file(options["outline"], name="outline")
                )
            checks = options["checks"] and documents.read_file(
                options["checks"], name="checks file"
            )
            assignments = options["assignments"] and documents.read_file(
                options["assignments"], name="assignments file"
            )
            with transaction.atomic():
                report = import_course(
                    document=document, outline=outline, title=options["title"], slug=options["slug"]
                )
                assessment = AssessmentReport()
                if checks:
                    import_checks(course=report.course, text=checks, report=assessment)
                if assignments:
                    import_assignments(course=report.course, text=assignments, report=assessment)
        except documents.DocumentError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(str(report)) if report.changed else str(report))
        if checks or assignments:
            self.stdout.write(str(assessment))

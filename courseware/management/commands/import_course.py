from django.core.management.base import BaseCommand, CommandError

from courseware import documents
from courseware.importing import import_course


class Command(BaseCommand):
    help = "Build or update a course from a plain-text or Markdown document, in one transaction."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The course document (.txt or .md).")
        parser.add_argument("--outline", help="A TOML outline grouping sections into modules.")
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
            report = import_course(
                document=document, outline=outline, title=options["title"], slug=options["slug"]
            )
        except documents.DocumentError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(str(report)) if report.changed else str(report))

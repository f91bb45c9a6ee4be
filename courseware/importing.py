"""Build or update a course from a parsed document and outline, in one transaction."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify

from .documents import Document, DocumentError, Outline, OutlineLesson, Section, unique_slug
from .models import Cohort, Course, Lesson, Module


@dataclass
class LessonPlan:
    title: str
    slug: str
    body_source: str
    is_preview: bool
    objectives: str = ""
    key_terms: str = ""


@dataclass
class ModulePlan:
    title: str
    slug: str
    summary: str
    lessons: list[LessonPlan] = field(default_factory=list)


@dataclass
class ImportReport:
    course: Course
    course_created: bool = False
    course_updated: bool = False
    modules_created: int = 0
    modules_updated: int = 0
    lessons_created: int = 0
    lessons_updated: int = 0
    lessons_unchanged: int = 0
    archived: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.course_created
            or self.course_updated
            or self.modules_created
            or self.modules_updated
            or self.lessons_created
            or self.lessons_updated
            or self.archived
        )

    def __str__(self):
        if not self.changed:
            return (
                f"No changes: {self.course.title!r} is up to date "
                f"({self.lessons_unchanged} lessons unchanged)."
            )
        verb = "Created" if self.course_created else "Updated"
        return (
            f"{verb} {self.course.title!r} (version {self.course.version}): "
            f"lessons {self.lessons_created} created, {self.lessons_updated} updated, "
            f"{self.lessons_unchanged} unchanged; modules {self.modules_created} created, "
            f"{self.modules_updated} updated; {self.archived} archived."
        )


def plan_modules(document: Document, outline: Outline | None) -> list[ModulePlan]:
    """Decide which sections form which module, in order, without touching the database."""
    lesson_slugs: set[str] = set()
    module_slugs: set[str] = set()

    def lesson_plan(section: Section, extras: OutlineLesson | None = None) -> LessonPlan:
        return LessonPlan(
            title=section.title,
            slug=unique_slug(section.title, lesson_slugs, fallback="lesson"),
            body_source=section.body,
            is_preview=section is document.introduction,
            objectives="\n".join(extras.objectives) if extras else "",
            key_terms="\n".join(extras.key_terms) if extras else "",
        )

    if outline is None:
        modules: list[ModulePlan] = []
        for section in document.all_sections():
            if not modules or (section.level <= 1 and section is not document.introduction):
                if section is document.introduction or not modules or modules[-1].lessons:
                    modules.append(
                        ModulePlan(
                            title=section.title,
                            slug=unique_slug(section.title, module_slugs, fallback="module"),
                            summary="",
                        )
                    )
            modules[-1].lessons.append(lesson_plan(section))
        return modules

    by_title: dict[str, Section] = {}
    for section in document.all_sections():
        key = _title_key(section.title)
        if key in by_title:
            raise DocumentError(
                f"The document has two sections headed {section.title!r}; "
                "an outline cannot tell them apart."
            )
        by_title[key] = section
    placed: set[str] = set()
    modules = []
    for module in outline.modules:
        plan = ModulePlan(
            title=module.title,
            slug=unique_slug(module.title, module_slugs, fallback="module"),
            summary=module.summary,
        )
        for extras in module.lessons:
            key = _title_key(extras.section)
            if key not in by_title:
                raise DocumentError(
                    f"The outline names a section that is not in the document: {extras.section!r}."
                )
            if key in placed:
                raise DocumentError(f"The outline places the section {extras.section!r} twice.")
            placed.add(key)
            plan.lessons.append(lesson_plan(by_title[key], extras))
        modules.append(plan)
    missing = [s.title for s in document.all_sections() if _title_key(s.title) not in placed]
    if missing:
        raise DocumentError(
            "The outline leaves out sections of the document: "
            + ", ".join(repr(title) for title in missing)
            + "."
        )
    return modules


def _title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


@transaction.atomic
def import_course(
    *,
    document: Document,
    outline: Outline | None = None,
    title: str = "",
    slug: str = "",
) -> ImportReport:
    """Create or update a course so that its lessons match the document, in place.

    Lessons and modules are matched by slug. Those the document no longer has are
    archived, never deleted, so learners' progress on them is kept.
    """
    title = (title or (outline.title if outline else "")).strip()
    if not title:
        raise DocumentError("The course has no title: give one, or set `title` in the outline.")
    slug = slug or slugify(title)[:80]
    plans = plan_modules(document, outline)
    summary = outline.summary if outline else ""

    course = Course.objects.select_for_update().filter(slug=slug).first()
    report = ImportReport(course=course, course_created=course is None)
    if course is None:
        course = report.course = Course.objects.create(title=title, slug=slug, summary=summary)
    elif _assign_changes(course, {"title": title, "summary": summary or course.summary}):
        course.save()
        report.course_updated = True

    modules = {m.slug: m for m in course.modules.all()}
    lessons = {lesson.slug: lesson for lesson in course.lessons.all()}
    kept_modules, kept_lessons = set(), set()

    for module_position, module_plan in enumerate(plans, start=1):
        module = modules.get(module_plan.slug)
        wanted = {
            "title": module_plan.title,
            "summary": module_plan.summary,
            "position": module_position,
            "is_archived": False,
        }
        if module is None:
            module = Module.objects.create(course=course, slug=module_plan.slug, **wanted)
            report.modules_created += 1
        elif _assign_changes(module, wanted):
            module.save()
            report.modules_updated += 1
        kept_modules.add(module.pk)

        for lesson_position, plan in enumerate(module_plan.lessons, start=1):
            lesson = lessons.get(plan.slug)
            wanted = {
                "module": module,
                "title": plan.title,
                "body_source": plan.body_source,
                "is_preview": plan.is_preview,
                "objectives": plan.objectives,
                "key_terms": plan.key_terms,
                "position": lesson_position,
                "is_archived": False,
            }
            if lesson is None:
                lesson = Lesson(course=course, slug=plan.slug, **wanted)
                lesson.save()
                report.lessons_created += 1
            elif _assign_changes(lesson, wanted):
                lesson.save()
                report.lessons_updated += 1
            else:
                report.lessons_unchanged += 1
            kept_lessons.add(lesson.pk)

    report.archived += (
        course.lessons.exclude(pk__in=kept_lessons)
        .filter(is_archived=False)
        .update(is_archived=True)
    )
    report.archived += (
        course.modules.exclude(pk__in=kept_modules)
        .filter(is_archived=False)
        .update(is_archived=True)
    )
    if report.changed and not report.course_created:
        course.version += 1
        course.save(update_fields=["version", "updated_at"])
    _ensure_default_cohort(course)
    return report


def _assign_changes(instance, values: dict) -> bool:
    changed = False
    for name, value in values.items():
        current = getattr(instance, name + "_id") if name == "module" else getattr(instance, name)
        wanted = value.pk if name == "module" else value
        if current != wanted:
            setattr(instance, name, value)
            changed = True
    return changed


def _ensure_default_cohort(course: Course) -> Cohort:
    cohort = course.cohorts.filter(is_default=True).first()
    if cohort is None:
        cohort = Cohort.objects.create(
            course=course, name="Open enrollment", slug="open", is_default=True
        )
    return cohort

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .. import documents
from ..importing import import_course
from ..models import (
    Assignment,
    Choice,
    Course,
    Lesson,
    Module,
    Question,
    RubricCriterion,
    RubricLevel,
)


def _bump_course_version(course_id):
    Course.objects.filter(pk=course_id).bump_version()


class ImportDocumentForm(forms.Form):
    document = forms.FileField(help_text="Plain text (.txt) or Markdown (.md), UTF-8.")
    outline = forms.FileField(
        required=False, help_text="Optional TOML outline grouping sections into modules."
    )
    title = forms.CharField(required=False, help_text="Course title, if the outline has none.")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            upload = cleaned["document"]
            text = documents.decode(upload.read())
            cleaned["parsed_document"] = documents.parse_document(
                text, markdown=documents.is_markdown(text, upload.name)
            )
            cleaned["parsed_outline"] = (
                documents.parse_outline(documents.decode(cleaned["outline"].read(), name="outline"))
                if cleaned.get("outline")
                else None
            )
        except documents.DocumentError as error:
            raise forms.ValidationError(str(error)) from None
        return cleaned


class ModuleInline(admin.TabularInline):
    model = Module
    fields = ["position", "title", "slug", "is_archived"]
    extra = 0
    ordering = ["position"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "is_published", "version", "updated_at"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["version"]
    inlines = [ModuleInline]
    change_list_template = "admin/courseware/course/change_list.html"

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="courseware_course_import",
            )
        ] + super().get_urls()

    def import_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            return redirect("admin:courseware_course_changelist")
        form = ImportDocumentForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                report = import_course(
                    document=form.cleaned_data["parsed_document"],
                    outline=form.cleaned_data["parsed_outline"],
                    title=form.cleaned_data["title"],
                )
            except documents.DocumentError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, str(report), messages.SUCCESS)
                return redirect("admin:courseware_course_change", report.course.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": "Import a course document",
        }
        return TemplateResponse(request, "admin/courseware/course/import.html", context)

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "position", "is_archived"]
    list_editable = ["position"]
    list_filter = ["course", "is_archived"]
    ordering = ["course", "position"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _bump_course_version(obj.course_id)


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "module", "position", "is_preview", "reading_minutes", "is_archived"]
    list_editable = ["position"]
    list_filter = ["course", "module", "is_preview", "is_archived"]
    list_select_related = ["module"]
    search_fields = ["title", "search_text"]
    ordering = ["course", "module__position", "position"]
    readonly_fields = ["rendered_preview", "reading_minutes", "word_count", "updated_at"]
    fieldsets = [
        (None, {"fields": ["course", "module", "title", "slug", "position", "is_preview"]}),
        ("Text from the course document", {"fields": ["body_source", "rendered_preview"]}),
        (
            "Editorial extras (not part of the document)",
            {"fields": ["objectives", "key_terms", "reading_minutes", "word_count"]},
        ),
        ("State", {"fields": ["is_archived", "updated_at"]}),
    ]

    @admin.display(description="Rendered preview")
    def rendered_preview(self, obj):
        if not obj.pk:
            return "Save the lesson to see it rendered."
        # body_html was sanitized by nh3 when the lesson was saved.
        return format_html('<div class="lesson-preview">{}</div>', mark_safe(obj.body_html))  # noqa: S308  # nosec B308 B703

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _bump_course_version(obj.course_id)


class ChoiceInline(admin.TabularInline):
    model = Choice
    fields = ["position", "text", "is_correct"]
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["prompt", "lesson", "kind", "position"]
    list_filter = ["lesson__course", "kind"]
    list_select_related = ["lesson"]
    search_fields = ["prompt"]
    inlines = [ChoiceInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        _bump_course_version(form.instance.lesson.course_id)


class RubricCriterionInline(admin.StackedInline):
    model = RubricCriterion
    fields = ["position", "title", "description"]
    extra = 0
    show_change_link = True


class RubricLevelInline(admin.TabularInline):
    model = RubricLevel
    fields = ["position", "title", "points", "description"]
    extra = 0


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "points_possible", "max_attempts", "position"]
    list_filter = ["course"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["lessons"]
    inlines = [RubricCriterionInline]
    fieldsets = [
        (None, {"fields": ["course", "title", "slug", "position", "is_published", "lessons"]}),
        ("Prompt", {"fields": ["prompt_source"]}),
        (
            "Grading policy",
            {
                "fields": [
                    "points_possible",
                    "max_attempts",
                    "late_percent_per_day",
                    "late_cap_percent",
                    "hard_cutoff_days",
                    "due_days_after_start",
                ]
            },
        ),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        _bump_course_version(form.instance.course_id)


@admin.register(RubricCriterion)
class RubricCriterionAdmin(admin.ModelAdmin):
    list_display = ["title", "assignment", "position"]
    list_filter = ["assignment__course", "assignment"]
    inlines = [RubricLevelInline]

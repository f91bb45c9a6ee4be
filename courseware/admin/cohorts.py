"""Cohorts, enrollments and progress in the admin, scoped to the cohorts an instructor teaches."""

from django.contrib import admin

from ..models import Cohort, Enrollment, LessonProgress


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "course", "join_policy", "starts_on", "ends_on", "is_default"]
    list_filter = ["course", "join_policy"]
    filter_horizontal = ["instructors"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["learner", "cohort", "status", "source", "created_at"]
    list_filter = ["status", "source", "cohort"]
    list_select_related = ["learner", "cohort__course"]
    search_fields = ["learner__email", "learner__display_name"]
    raw_id_fields = ["learner"]


@admin.register(LessonProgress)
class LessonProgressAdmin(admin.ModelAdmin):
    list_display = ["learner", "lesson", "started_at", "completed_at"]
    list_select_related = ["learner", "lesson"]
    search_fields = ["learner__email"]
    raw_id_fields = ["learner", "lesson"]

    def has_add_permission(self, request):
        return False

"""Grading in the admin: the queue, the grading page, releasing grades and the gradebook.

Every view starts from a queryset scoped to the cohorts the user teaches, so another
cohort's submission, grade or gradebook is a 404, whatever link was followed.
"""

import copy
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from .. import gradebook, grading, rendering, services
from ..models import Assignment, Cohort, Grade, RubricCriterion, Submission
from .cohorts import TaughtCohortFilter

GRADEBOOK_PAGE_SIZE = 100


def _teaches(user, cohort_id) -> bool:
    return Cohort.objects.taught_by(user).filter(pk=cohort_id).exists()


def _grades(count: int) -> str:
    return f"{count} grade" if count == 1 else f"{count} grades"


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("awaiting", "Awaiting grade"),
            ("unreleased", "Graded, not released"),
            ("released", "Released"),
        ]

    def queryset(self, request, queryset):
        graded = Submission.Status.GRADED
        states = {
            "awaiting": Q(status=Submission.Status.SUBMITTED),
            "unreleased": Q(status=graded, grade__released_at__isnull=True),
            "released": Q(status=graded, grade__released_at__isnull=False),
        }
        return queryset.filter(states[self.value()]) if self.value() in states else queryset


class LatenessFilter(admin.SimpleListFilter):
    title = "lateness"
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return [
            ("no", "On time"),
            ("1", "1 day late"),
            ("2-7", "2–7 days late"),
            ("8+", "More than 7 days late"),
        ]

    def queryset(self, request, queryset):
        ranges = {
            "no": Q(days_late=0),
            "1": Q(days_late=1),
            "2-7": Q(days_late__range=(2, 7)),
            "8+": Q(days_late__gte=8),
        }
        return queryset.filter(ranges[self.value()]) if self.value() in ranges else queryset


class GradeForm(forms.Form):
    """One level and one comment per rubric criterion, overall feedback and the version seen."""

    feedback = forms.CharField(
        label="Overall feedback", required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    release = forms.BooleanField(label="Release to learner", required=False)
    expected_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, criteria, grade=None, **kwargs):
        given = {item["criterion_id"]: item for item in (grade.rubric if grade else [])}
        initial = {
            "feedback": grade.feedback if grade else "",
            "expected_version": grade.version if grade else 0,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"criterion_{criterion.pk}"] = forms.TypedChoiceField(
                label=criterion.title,
                choices=[(level.pk, level.title) for level in criterion.levels.all()],
                coerce=int,
                widget=forms.RadioSelect,
                initial=given.get(criterion.pk, {}).get("level_id"),
                error_messages={"required": f"Choose a level for “{criterion.title}”."},
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=f"Comment on “{criterion.title}”",
                required=False,
                initial=given.get(criterion.pk, {}).get("comment", ""),
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rubric(self):
        """Yield each criterion with its bound fields and its levels beside their radios."""
        for criterion in self.criteria:
            field = self[f"criterion_{criterion.pk}"]
            yield {
                "criterion": criterion,
                "field": field,
                "comment": self[f"comment_{criterion.pk}"],
                "choices": list(zip(field.subwidgets, criterion.levels.all(), strict=True)),
            }

    def chosen_total(self):
        """Return the rubric points of the levels chosen so far, or None until all are chosen."""
        total = 0
        for criterion in self.criteria:
            value = str(self[f"criterion_{criterion.pk}"].value())
            level = next((lv for lv in criterion.levels.all() if str(lv.pk) == value), None)
            if level is None:
                return None
            total += level.points
        return total

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "levels": {c.pk: data[f"criterion_{c.pk}"] for c in self.criteria},
            "comments": {c.pk: data[f"comment_{c.pk}"] for c in self.criteria},
            "feedback": data["feedback"],
            "expected_version": data["expected_version"],
            "release": data["release"],
        }


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    """The grading queue: handed-in work from the user's cohorts, oldest first."""

    list_display = [
        "learner",
        "assignment",
        "cohort_name",
        "attempt",
        "submitted_at",
        "lateness",
        "state",
        "score",
    ]
    # Choices from the cohorts taught and the assignments, not from a DISTINCT over every
    # submission in the queue (two scans of it per page).
    list_filter = [
        ("cohort", TaughtCohortFilter),
        ("assignment", admin.RelatedFieldListFilter),
        StatusFilter,
        LatenessFilter,
    ]
    list_select_related = ["learner", "assignment", "cohort", "grade"]
    search_fields = ["learner__email", "learner__display_name"]
    ordering = ["submitted_at", "pk"]
    list_per_page = 50
    show_full_result_count = False  # one COUNT over the queue per page, not two
    actions = ["release_selected"]
    change_list_template = "admin/courseware/grading/submission_change_list.html"

    def get_queryset(self, request):
        # The cohort ids, not a subquery: PostgreSQL then knows how few cohorts they are and
        # reads the queue index in order, instead of joining and sorting all their work.
        taught = list(Cohort.objects.taught_by(request.user).values_list("pk", flat=True))
        return super().get_queryset(request).filter(cohort__in=taught).handed_in()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # A learner's handed-in work is their record; grading never deletes it.
        return False

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or _teaches(request.user, obj.cohort_id))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or _teaches(request.user, obj.cohort_id))

    @admin.display(description="cohort", ordering="cohort__name")
    def cohort_name(self, obj):
        return obj.cohort.name

    @admin.display(description="lateness", ordering="days_late")
    def lateness(self, obj):
        if not obj.is_late:
            return "On time"
        days = "1 day" if obj.days_late == 1 else f"{obj.days_late} days"
        return f"{days} late (−{obj.penalty_percent.normalize():f}%)"

    @admin.display(description="status")
    def state(self, obj):
        grade = getattr(obj, "grade", None)
        if grade is None:
            return "Awaiting grade"
        return "Released" if grade.is_released else "Graded, not released"

    @admin.display(description="score")
    def score(self, obj):
        grade = getattr(obj, "grade", None)
        return f"{grade.score} / {grade.points_possible}" if grade else "—"

    @admin.action(description="Release grades of selected submissions", permissions=["change"])
    def release_selected(self, request, queryset):
        grades = Grade.objects.filter(submission__in=queryset)
        count = services.release_grades(grades=grades, released_by=request.user)
        self.message_user(request, f"Released {_grades(count)}.")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:submission_id>/grade/",
                view(self.grade_view),
                name="courseware_submission_grade",
            ),
            path(
                "release/<int:cohort_id>/<int:assignment_id>/",
                view(self.release_view),
                name="courseware_grades_release",
            ),
            path(
                "gradebook/<int:cohort_id>/", view(self.gradebook_view), name="courseware_gradebook"
            ),
            path(
                "gradebook/<int:cohort_id>/export.csv",
                view(self.gradebook_csv_view),
                name="courseware_gradebook_csv",
            ),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": "Grading queue", **(extra_context or {})}
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            context.update(self._queue_summary(request, context["cl"].queryset))
        return response

    def _queue_summary(self, request, queue):
        """Return counts for the filtered queue, gradebook links and the release target."""
        counts = queue.aggregate(
            awaiting=Count("pk", filter=Q(status=Submission.Status.SUBMITTED)),
            unreleased=Count("pk", filter=Q(grade__isnull=False, grade__released_at__isnull=True)),
            released=Count("pk", filter=Q(grade__released_at__isnull=False)),
            late=Count("pk", filter=Q(days_late__gt=0)),
        )
        cohort_id = request.GET.get("cohort__id__exact", "")
        assignment_id = request.GET.get("assignment__id__exact", "")
        release_url = None
        if cohort_id.isdigit() and assignment_id.isdigit() and counts["unreleased"]:
            release_url = reverse(
                "admin:courseware_grades_release", args=[cohort_id, assignment_id]
            )
        return {
            "queue_counts": counts,
            "taught_cohorts": Cohort.objects.taught_by(request.user),
            "release_url": release_url,
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The grading page is this model's change form: the learner's work itself is read-only.
        if not object_id.isdigit():
            raise Http404
        query = request.GET.urlencode()
        url = reverse("admin:courseware_submission_grade", args=[object_id])
        return redirect(f"{url}?{query}" if query else url)

    def grade_view(self, request, submission_id):
        """Show the submission beside its rubric and save the instructor's grade."""
        submission = get_object_or_404(
            self.get_queryset(request).select_related("assignment__course", "grade__grader"),
            pk=submission_id,
        )
        if not self.has_change_permission(request, submission):
            raise PermissionDenied
        criteria = list(
            RubricCriterion.objects.filter(assignment=submission.assignment_id).prefetch_related(
                "levels"
            )
        )
        grade = getattr(submission, "grade", None)
        form = GradeForm(request.POST or None, criteria=criteria, grade=grade)
        conflict = None
        if request.method == "POST" and form.is_valid():
            try:
                grade = services.grade_submission(
                    submission=submission, grader=request.user, **form.service_arguments()
                )
            except services.GradeConflict as error:
                form.add_error(None, error)
                conflict = Grade.objects.select_related("grader").get(submission=submission)
            except ValidationError as error:
                # The form already checked the rubric; what is left (a draft) concerns the whole.
                form.add_error(None, error.messages)
            else:
                return self._after_grading(request, submission, grade)
        return TemplateResponse(
            request,
            "admin/courseware/grading/grade.html",
            self._grade_context(request, submission, grade, form, conflict),
        )

    def _grade_context(self, request, submission, grade, form, conflict):
        chosen = form.chosen_total()
        filters = request.GET.get("_changelist_filters", "")
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Grade {submission.learner}: {submission.assignment}",
            "submission": submission,
            # render_markdown escapes raw HTML and sanitizes with nh3: safe to mark.
            "body_html": mark_safe(rendering.render_markdown(submission.body)),  # noqa: S308  # nosec B308 B703
            # prompt_html is render_markdown output too, stored when the assignment was saved.
            "prompt_html": mark_safe(submission.assignment.prompt_html),  # noqa: S308  # nosec B308 B703
            "grade": grade,
            "form": form,
            "conflict": conflict,
            "chosen_total": chosen,
            "chosen_score": (
                grading.apply_penalty(chosen, submission.penalty_percent)
                if chosen is not None
                else None
            ),
            "changelist_url": reverse("admin:courseware_submission_changelist")
            + (f"?{filters}" if filters else ""),
        }

    def _after_grading(self, request, submission, grade):
        released = " and released it" if grade.is_released else ""
        self.message_user(
            request,
            f"Saved {grade.score} of {grade.points_possible} for {submission.learner}{released}.",
            messages.SUCCESS,
        )
        filters = request.GET.get("_changelist_filters", "")
        query = f"?{urlencode({'_changelist_filters': filters})}" if filters else ""
        if "_next" not in request.POST:
            return redirect(
                reverse("admin:courseware_submission_grade", args=[submission.pk]) + query
            )
        following = (
            self._queue(request, filters)
            .filter(status=Submission.Status.SUBMITTED)
            .exclude(pk=submission.pk)
            .first()
        )
        if following is None:
            self.message_user(request, "Nothing left to grade in this queue.", messages.INFO)
            changelist = reverse("admin:courseware_submission_changelist")
            return redirect(f"{changelist}?{filters}" if filters else changelist)
        return redirect(reverse("admin:courseware_submission_grade", args=[following.pk]) + query)

    def _queue(self, request, filters: str):
        """Return the queue as the changelist shows it with these filters, oldest first."""
        queue_request = copy.copy(request)
        queue_request.GET = QueryDict(filters)
        try:
            return self.get_changelist_instance(queue_request).queryset
        except IncorrectLookupParameters:
            return self.get_queryset(request)

    @method_decorator(require_POST)
    def release_view(self, request, cohort_id, assignment_id):
        """Release every grade given for the assignment in the cohort."""
        cohort = self._taught_cohort(request, cohort_id)
        if not request.user.has_perm("courseware.change_grade"):
            raise PermissionDenied
        assignment = get_object_or_404(
            Assignment.objects.filter(course=cohort.course_id), pk=assignment_id
        )
        grades = Grade.objects.filter(submission__cohort=cohort, submission__assignment=assignment)
        count = services.release_grades(grades=grades, released_by=request.user)
        self.message_user(request, f"Released {_grades(count)} of {assignment} in {cohort.name}.")
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            back = reverse("admin:courseware_gradebook", args=[cohort.pk])
        return redirect(back)

    def _taught_cohort(self, request, cohort_id):
        # 404, not 403: a cohort the user does not teach should not be seen to exist.
        cohort = get_object_or_404(
            Cohort.objects.taught_by(request.user).select_related("course"), pk=cohort_id
        )
        if not self.has_view_permission(request):
            raise PermissionDenied
        return cohort

    def gradebook_view(self, request, cohort_id):
        """Show the cohort's learners by assignments, with totals, letters and charts."""
        book = gradebook.Gradebook.for_cohort(self._taught_cohort(request, cohort_id))
        # Full rows (checks, totals, letters) for the page's learners only; the charts
        # read the marks of the whole cohort.
        paginator = Paginator(book.enrollments(), GRADEBOOK_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        page.object_list = book.rows_for(enrollment.learner for enrollment in page.object_list)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Gradebook: {book.cohort}",
            "book": book,
            "page": page,
            "learner_count": paginator.count,
            "summaries": book.summaries(),
            "completion": book.lesson_completion(),
        }
        return TemplateResponse(request, "admin/courseware/grading/gradebook.html", context)

    def gradebook_csv_view(self, request, cohort_id):
        """Stream the cohort's gradebook as CSV, a chunk of learners at a time."""
        book = gradebook.Gradebook.for_cohort(self._taught_cohort(request, cohort_id))
        response = StreamingHttpResponse(
            gradebook.csv_lines(book), content_type="text/csv; charset=utf-8"
        )
        filename = f"gradebook-{book.course.slug}-{book.cohort.slug}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ReleasedFilter(admin.SimpleListFilter):
    title = "released"
    parameter_name = "released"

    def lookups(self, request, model_admin):
        return [("yes", "Released"), ("no", "Not released")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(released_at__isnull=self.value() == "no")
        return queryset


@admin.register(Grade)
class GradeAdmin(SimpleHistoryAdmin):
    """Grades with their history; changes go through the grading page, never this form."""

    list_display = [
        "submission_learner",
        "submission_assignment",
        "score",
        "points_possible",
        "released_at",
        "grader",
        "version",
        "updated_at",
    ]
    list_filter = [
        ReleasedFilter,
        ("submission__cohort", admin.RelatedOnlyFieldListFilter),
        ("submission__assignment", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["submission__learner", "submission__assignment", "grader"]
    search_fields = ["submission__learner__email", "submission__learner__display_name"]
    history_list_display = ["score", "penalty_percent", "version", "released_at"]
    actions = ["release_selected"]

    def get_queryset(self, request):
        taught = Cohort.objects.taught_by(request.user)
        return super().get_queryset(request).filter(submission__cohort__in=taught)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or self._in_scope(request, obj))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self._in_scope(request, obj))

    def _in_scope(self, request, obj):
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def revert_disabled(self, request, obj=None):
        # Reverting would skip the grading service: no version check, no status, no history user.
        return True

    @admin.display(description="learner", ordering="submission__learner__email")
    def submission_learner(self, obj):
        return obj.submission.learner

    @admin.display(description="assignment", ordering="submission__assignment")
    def submission_assignment(self, obj):
        return obj.submission.assignment

    @admin.action(description="Release selected grades", permissions=["change"])
    def release_selected(self, request, queryset):
        # PostgreSQL refuses FOR UPDATE across the list's outer join to a missing grader.
        grades = queryset.select_related(None)
        count = services.release_grades(grades=grades, released_by=request.user)
        self.message_user(request, f"Released {_grades(count)}.")

    def _scoped_or_404(self, request, object_id):
        # 404 for other cohorts' grades: simple_history falls back to history rows of any grade.
        grade = self.get_object(request, unquote(object_id))
        if grade is None:
            raise Http404
        return grade

    def change_view(self, request, object_id, form_url="", extra_context=None):
        grade = self._scoped_or_404(request, object_id)
        return redirect("admin:courseware_submission_grade", grade.submission_id)

    def history_view(self, request, object_id, extra_context=None):
        self._scoped_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._scoped_or_404(request, object_id)
        if request.method == "POST":
            raise PermissionDenied("Grades change only through the grading page.")
        return super().history_form_view(request, object_id, version_id, extra_context)

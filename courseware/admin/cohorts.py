"""Cohorts, enrollments and progress in the admin, scoped to the cohorts an instructor teaches."""

import zoneinfo
from collections import Counter

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from accounts import roles

from .. import services
from ..models import Assignment, AssignmentSchedule, Cohort, Enrollment, LessonProgress
from ..services import roster

MAX_ROSTER_BYTES = 5 * 1024 * 1024
# How long a checked roster waits for the instructor to confirm it.
ROSTER_MAX_AGE = 60 * 60


def _teaches(request, cohort) -> bool:
    """Return whether the user runs this cohort."""
    return Cohort.objects.taught_by(request.user).filter(pk=cohort.pk).exists()


def _zone(name: str):
    """Return the zone, or None (the site's zone) for a name the zone database lacks."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class CohortForm(forms.ModelForm):
    class Meta:
        model = Cohort
        fields = [
            "course",
            "name",
            "slug",
            "starts_on",
            "ends_on",
            "timezone",
            "instructors",
            "capacity",
            "join_policy",
            "join_code",
            "is_default",
        ]

    def clean_timezone(self):
        name = self.cleaned_data["timezone"].strip()
        if name not in zoneinfo.available_timezones():
            raise ValidationError(
                "“%(name)s” is not a time zone. Use a name such as Europe/Paris or UTC.",
                params={"name": name},
            )
        return name

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on <= starts_on:
            self.add_error("ends_on", "The cohort must end after it starts.")
        if cleaned.get("join_policy") == Cohort.JoinPolicy.CODE and not cleaned.get("join_code"):
            self.add_error("join_code", "Set the code learners type to join.")
        if "course" not in self.fields:
            self._check_unique_in_course(cleaned)
        return cleaned

    def _check_unique_in_course(self, cleaned):
        # The course is read-only on change, so Django skips the constraints that name it.
        others = Cohort.objects.filter(course=self.instance.course_id).exclude(pk=self.instance.pk)
        if cleaned.get("slug") and others.filter(slug=cleaned["slug"]).exists():
            self.add_error("slug", "Another cohort of this course has this slug.")
        if cleaned.get("is_default") and others.filter(is_default=True).exists():
            self.add_error("is_default", "Another cohort is already the course's default.")


class RosterUploadForm(forms.Form):
    roster = forms.FileField(
        label="CSV file",
        help_text="One learner a line: email, name. UTF-8, at most 5 MB; a header row is fine.",
    )

    def __init__(self, *args, salt, **kwargs):
        super().__init__(*args, **kwargs)
        self.salt = salt
        self.rows = []

    def clean_roster(self):
        upload = self.cleaned_data["roster"]
        if upload.size > MAX_ROSTER_BYTES:
            raise ValidationError("The file is larger than 5 MB; split it.")
        data = upload.read()
        try:
            self.rows = roster.read_roster(data)
        except roster.RosterError as error:
            raise ValidationError(str(error)) from None
        # The confirmation carries the file itself, signed, so nothing the browser sends
        # back can change which learners are enrolled.
        self.token = signing.dumps(data.decode("utf-8-sig"), salt=self.salt, compress=True)
        # It comes back as form data, which Django refuses beyond DATA_UPLOAD_MAX_MEMORY_SIZE.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and len(self.token) > limit - 64 * 1024:
            raise ValidationError("The file is too large to confirm in one step; split it.")
        return upload


class RosterConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    skip_invalid = forms.BooleanField(required=False)

    def __init__(self, *args, salt, **kwargs):
        super().__init__(*args, **kwargs)
        self.salt = salt
        self.rows = []

    def clean_token(self):
        try:
            text = signing.loads(self.cleaned_data["token"], salt=self.salt, max_age=ROSTER_MAX_AGE)
            self.rows = roster.read_roster(text.encode())
        except signing.SignatureExpired:
            raise ValidationError(
                "The check is more than an hour old: upload the file again."
            ) from None
        except (signing.BadSignature, roster.RosterError):
            raise ValidationError(
                "The checked file could not be verified: upload it again."
            ) from None
        return self.cleaned_data["token"]

    def clean(self):
        cleaned = super().clean()
        if any(not row.is_valid for row in self.rows) and not cleaned.get("skip_invalid"):
            self.add_error(
                "skip_invalid", "Tick the box to skip the invalid rows, or fix the file first."
            )
        return cleaned


class AssignmentScheduleInline(admin.TabularInline):
    model = AssignmentSchedule
    fields = ["assignment", "available_at", "due_at"]
    readonly_fields = ["assignment"]
    ordering = ["assignment__position", "assignment__pk"]
    extra = 0
    can_delete = False
    verbose_name_plural = "assignment dates"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assignment")

    # The dates are part of running the cohort: whoever may change the cohort may change them.
    # The cohort admin has already checked that the cohort is the user's.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("courseware.view_cohort") or self.has_change_permission(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("courseware.change_cohort")

    def has_add_permission(self, request, obj=None):
        return False  # schedule_cohort gives every assignment its row.

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Cohort)
class CohortAdmin(SimpleHistoryAdmin):
    form = CohortForm
    list_display = ["name", "course", "join_policy", "capacity", "starts_on", "ends_on"]
    list_filter = ["course", "join_policy"]
    list_select_related = ["course"]
    search_fields = ["name"]
    filter_horizontal = ["instructors"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AssignmentScheduleInline]
    actions = ["sync_lms_roster"]

    def get_queryset(self, request):
        return super().get_queryset(request).taught_by(request.user)

    def history_view(self, request, object_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404  # Not another instructor's cohort, nor whether it exists.
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404
        if request.method == "POST" and not roles.sees_every_cohort(request.user):
            raise PermissionDenied  # Reverting instructors or dates is the course staff's call.
        return super().history_form_view(request, object_id, version_id, extra_context)

    @admin.action(description="Sync roster from the LMS (LTI)", permissions=["change"])
    def sync_lms_roster(self, request, queryset):
        from ..lti.http import PlatformError
        from ..lti.roster import sync_roster

        for cohort in queryset.select_related("lti_context__deployment__registration"):
            if cohort.lti_context is None:
                self.message_user(
                    request, f"{cohort.name}: not linked to an LMS course.", messages.WARNING
                )
                continue
            try:
                report = sync_roster(cohort=cohort)
            except PlatformError as error:
                self.message_user(request, f"{cohort.name}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{cohort.name}: {report}.", messages.SUCCESS)

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or _teaches(request, obj))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or _teaches(request, obj))

    def has_delete_permission(self, request, obj=None):
        # Ending a run of the course is the course staff's decision, not its instructors'.
        if not roles.sees_every_cohort(request.user):
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = []
        if obj is not None:
            readonly.append("course")  # Enrollments and schedules copy the course.
        if not roles.sees_every_cohort(request.user):
            readonly += ["instructors", "is_default"]
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "instructors":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_inline_instances(self, request, obj=None):
        # A new cohort has no dates yet: saving it schedules every assignment.
        return super().get_inline_instances(request, obj) if obj is not None else []

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.schedule_cohort(cohort=form.instance)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        cohort = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            "can_enroll_csv": cohort is not None and self._may_enroll(request, cohort),
        }
        # Due dates fall at 23:59 in the cohort's zone: show and read them in that zone.
        with timezone.override(_zone(cohort.timezone) if cohort else None):
            response = super().change_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()
        return response

    def get_urls(self):
        return [
            path(
                "<path:object_id>/enroll-csv/",
                self.admin_site.admin_view(self.enroll_csv_view),
                name="courseware_cohort_enroll_csv",
            )
        ] + super().get_urls()

    def _may_enroll(self, request, cohort) -> bool:
        return self.has_change_permission(request, cohort) and request.user.has_perm(
            "courseware.add_enrollment"
        )

    def enroll_csv_view(self, request, object_id):
        """Check an uploaded roster, then enroll its valid rows once the instructor confirms."""
        cohort = self.get_object(request, unquote(object_id))
        if cohort is None or not self._may_enroll(request, cohort):
            raise Http404  # 404, not 403: don't reveal that another instructor's cohort exists.
        salt = f"courseware.enroll-csv:{cohort.pk}:{request.user.pk}"
        if "token" in request.POST:
            return self._confirm_roster(request, cohort, RosterConfirmForm(request.POST, salt=salt))
        upload = RosterUploadForm(request.POST or None, request.FILES or None, salt=salt)
        if request.method == "POST" and upload.is_valid():
            rows = roster.check_roster(cohort=cohort, rows=upload.rows)
            confirm = RosterConfirmForm(initial={"token": upload.token}, salt=salt)
            return self._roster_page(request, cohort, rows=rows, confirm=confirm)
        return self._roster_page(request, cohort, upload=upload)

    def _confirm_roster(self, request, cohort, confirm):
        if confirm.is_valid():
            try:
                rows = roster.enroll_roster(cohort=cohort, rows=confirm.rows)
            except ValidationError as error:
                confirm.add_error(None, error)
            else:
                created = sum(row.status == "created" for row in rows)
                self.log_change(request, cohort, f"Enrolled {created} learners from a CSV file.")
                return self._roster_page(request, cohort, rows=rows, done=True)
        if not confirm.rows:
            upload = RosterUploadForm(salt=confirm.salt)
            return self._roster_page(request, cohort, upload=upload, errors=confirm.errors["token"])
        # Check again: the report must describe the database as it is now.
        rows = roster.check_roster(cohort=cohort, rows=confirm.rows)
        return self._roster_page(request, cohort, rows=rows, confirm=confirm)

    def _roster_page(self, request, cohort, *, rows=(), **context):
        counts = Counter(row.status for row in rows)
        statuses = ["created" if context.get("done") else "new", "already enrolled", "invalid"]
        return TemplateResponse(
            request,
            "admin/courseware/cohort/enroll_csv.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": cohort,
                "title": f"Enroll learners in {cohort.name} from a CSV file",
                "rows": rows,
                "summary": [(status, counts[status]) for status in statuses],
                "new_count": counts["new"],
                "invalid_count": counts["invalid"],
                "valid_count": len(rows) - counts["invalid"],
                **context,
            },
        )


class TaughtCohortFilter(admin.RelatedFieldListFilter):
    """Offer only the cohorts the user runs."""

    def field_choices(self, field, request, model_admin):
        cohorts = Cohort.objects.taught_by(request.user).select_related("course")
        return [(cohort.pk, str(cohort)) for cohort in cohorts]


class EnrollmentAddForm(forms.ModelForm):
    class Meta:
        model = Enrollment
        fields = ["learner", "cohort"]

    def clean(self):
        cleaned = super().clean()
        learner, cohort = cleaned.get("learner"), cleaned.get("cohort")
        if learner is None or cohort is None:
            return cleaned
        # The service would return the current enrollment; say so instead of "added".
        current = (
            Enrollment.objects.current()
            .filter(learner=learner, course=cohort.course_id)
            .select_related("cohort")
            .first()
        )
        if current is not None:
            self.add_error("learner", f"{learner} is already enrolled in {current.cohort.name}.")
        elif cohort.capacity is not None:
            if cohort.enrollments.current().count() >= cohort.capacity:
                self.add_error("cohort", f"{cohort.name} is full.")
        return cleaned


class MoveForm(forms.Form):
    cohort = forms.ModelChoiceField(label="Move to", queryset=Cohort.objects.none())

    def __init__(self, *args, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts


class ExtendDueDateForm(forms.Form):
    assignment = forms.ModelChoiceField(queryset=Assignment.objects.none())
    due_at = forms.DateTimeField(
        label="New due date and time",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(max_length=300, help_text="Kept with the extension.")

    def __init__(self, *args, assignments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment"].queryset = assignments


@admin.register(Enrollment)
class EnrollmentAdmin(SimpleHistoryAdmin):
    list_display = ["learner", "learner__email", "cohort", "status", "source", "created_at"]
    list_filter = [("cohort", TaughtCohortFilter), "status", "source"]
    list_select_related = ["learner", "cohort__course"]
    search_fields = ["learner__email", "learner__display_name"]
    raw_id_fields = ["learner"]
    actions = ["move_to_cohort", "extend_due_date", "drop"]
    add_fields = ["learner", "cohort"]
    view_fields = [
        "learner",
        "cohort",
        "course",
        "status",
        "source",
        "created_at",
        "updated_at",
        "completed_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).taught_by(request.user)

    def _in_scope(self, request, obj) -> bool:
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or self._in_scope(request, obj))

    def has_change_permission(self, request, obj=None):
        # One enrollment's page only shows it: changes go through the actions and services.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self._in_scope(request, obj))

    def get_fields(self, request, obj=None):
        return list(self.add_fields if obj is None else self.view_fields)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else list(self.view_fields)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = EnrollmentAddForm
        return super().get_form(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "cohort":
            kwargs["queryset"] = Cohort.objects.taught_by(request.user).select_related("course")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # Through the service, as every enrollment: capacity and the one-per-course rule hold.
        enrollment, _ = services.enroll_learner(
            learner=obj.learner,
            course=obj.cohort.course,
            cohort=obj.cohort,
            source=Enrollment.Source.ADMIN,
        )
        obj.pk = enrollment.pk
        obj.refresh_from_db()

    def history_view(self, request, object_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404  # Not another instructor's learners, nor whether they exist.
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting would write around the services and the one-enrollment rule.
        if request.method == "POST":
            raise PermissionDenied
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True

    @admin.action(description="Move to another cohort", permissions=["change"])
    def move_to_cohort(self, request, queryset):
        course_id = self._one_course(request, queryset)
        if course_id is None:
            return None
        cohorts = Cohort.objects.taught_by(request.user).filter(course=course_id)
        form = MoveForm(request.POST if "apply" in request.POST else None, cohorts=cohorts)
        if form.is_valid():
            cohort = form.cleaned_data["cohort"]
            try:
                # select_related(None): the service locks the rows, not the joined ones.
                moved = services.move_enrollments(
                    enrollments=queryset.select_related(None), cohort=cohort
                )
            except ValidationError as error:
                form.add_error("cohort", error)
            else:
                self.message_user(
                    request, f"Moved {moved} learners to {cohort.name}.", messages.SUCCESS
                )
                return None
        return self._action_page(
            request, queryset, "move_to_cohort", "Move learners to another cohort", form=form
        )

    @admin.action(description="Extend a due date", permissions=["change"])
    def extend_due_date(self, request, queryset):
        course_id = self._one_course(request, queryset)
        if course_id is None:
            return None
        zones = set(queryset.order_by().values_list("cohort__timezone", flat=True).distinct())
        zone = _zone(zones.pop()) if len(zones) == 1 else None
        assignments = Assignment.objects.filter(course=course_id)
        # The new time is read in the cohort's zone, as its due dates are.
        with timezone.override(zone):
            form = ExtendDueDateForm(
                request.POST if "apply" in request.POST else None, assignments=assignments
            )
            valid = form.is_valid()
        if valid:
            count = services.extend_due_date(
                assignment=form.cleaned_data["assignment"],
                learners=[enrollment.learner for enrollment in queryset.select_related("learner")],
                due_at=form.cleaned_data["due_at"],
                granted_by=request.user,
                reason=form.cleaned_data["reason"],
            )
            self.message_user(
                request,
                f"Extended “{form.cleaned_data['assignment']}” for {count} learners.",
                messages.SUCCESS,
            )
            return None
        zone_name = zone.key if zone else settings.TIME_ZONE
        return self._action_page(
            request, queryset, "extend_due_date", "Extend a due date", form=form, zone=zone_name
        )

    @admin.action(description="Drop from the course", permissions=["change"])
    def drop(self, request, queryset):
        if "apply" in request.POST:
            dropped = services.drop_enrollments(enrollments=queryset.select_related(None))
            self.message_user(
                request, f"Dropped {dropped} learners; their work is kept.", messages.SUCCESS
            )
            return None
        return self._action_page(request, queryset, "drop", "Drop learners from the course")

    def _one_course(self, request, queryset):
        """Return the selection's course, or None after telling the user to choose one."""
        courses = list(queryset.order_by().values_list("course", flat=True).distinct())
        if len(courses) == 1:
            return courses[0]
        self.message_user(
            request, "Choose enrollments of one course for this action.", messages.ERROR
        )
        return None

    def _action_page(self, request, queryset, action, title, **context):
        return TemplateResponse(
            request,
            f"admin/courseware/enrollment/{action}.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                "action": action,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "enrollments": queryset.select_related("learner", "cohort"),
                **context,
            },
        )


@admin.register(LessonProgress)
class LessonProgressAdmin(admin.ModelAdmin):
    list_display = ["learner", "lesson", "started_at", "completed_at"]
    list_select_related = ["learner", "lesson"]
    search_fields = ["learner__email", "learner__display_name"]
    raw_id_fields = ["learner", "lesson"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if roles.sees_every_cohort(request.user):
            return queryset
        taught = Enrollment.objects.taught_by(request.user).filter(
            learner=OuterRef("learner"), course=OuterRef("lesson__course")
        )
        return queryset.filter(Exists(taught))

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or self.get_queryset(request).filter(pk=obj.pk).exists())

    # Progress is the learner's own record, written as they read.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

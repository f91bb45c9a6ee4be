"""The LMS integration API, v1. Views parse, fetch scoped rows, call a service and answer."""

import datetime
from typing import ClassVar

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import User
from courseware import services
from courseware.models import (
    Assignment,
    CheckAttempt,
    Cohort,
    Course,
    Enrollment,
    Grade,
    Lesson,
    LessonProgress,
    RubricCriterion,
    Submission,
)
from courseware.outline import annotate_progress, get_outline
from integrations.models import ClientLearner
from integrations.services import find_or_create_learner

from . import serializers
from .errors import Conflict
from .idempotency import idempotent
from .permissions import api_client, cohort_ids_for, cohorts_for, learners_for


class ValuesListMixin:
    """List rows as the serializer's fields read straight from the database.

    For a ModelSerializer of plain model fields: `values()` gives the same JSON (foreign
    keys as ids, datetimes in ISO 8601) without making a model instance and calling a
    serializer field for every value, which is most of the cost of a 100-row page.
    """

    def list(self, request, *args, **kwargs):
        fields = self.get_serializer_class().Meta.fields
        queryset = self.filter_queryset(self.get_queryset()).values(*fields)
        return self.get_paginated_response(self.paginate_queryset(queryset))


def _ids(values) -> set[int]:
    """The values that can be database ids (positive 64-bit): others match nothing."""
    return {value for value in values if 0 < value < 2**63}


def _named_cohort(request) -> int | None:
    """Return the id in ?cohort=, if it is one (the filter set reports a malformed one)."""
    value = request.query_params.get("cohort", "")
    return int(value) if value.isdigit() and _ids([int(value)]) else None


class UtcIsoDateTimeFilter(filters.IsoDateTimeFilter):
    # PostgreSQL refuses UTC offsets beyond ±15:59, which ISO 8601 allows: compare in UTC.
    def filter(self, qs, value):
        return super().filter(qs, value.astimezone(datetime.UTC) if value else value)


class UpdatedSinceFilterSet(filters.FilterSet):
    updated_since = UtcIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label="Only rows changed at or after this time"
    )

    _form_classes: ClassVar[dict] = {}

    def get_form_class(self):
        # django-filter makes a new form class, and a new field per filter, on every
        # request (a third of a list's cost here). These filters' fields do not depend on
        # the request (no querysets), so each filter set's form class is made once.
        form_class = self._form_classes.get(type(self))
        if form_class is None:
            form_class = self._form_classes[type(self)] = super().get_form_class()
        return form_class


class IdFilter(filters.NumberFilter):
    # A plain number, not a choice among rows: an id the caller may not see filters to
    # nothing rather than answering 400, which would tell them the row exists.
    field_class = forms.IntegerField


def id_filter(field_name):
    return IdFilter(field_name=f"{field_name}_id", min_value=1, max_value=2**63 - 1)


class CourseIdFilterSet(UpdatedSinceFilterSet):
    course = id_filter("course")


class CourseViewSet(viewsets.ReadOnlyModelViewSet):
    """Courses, with their module and lesson outline."""

    queryset = Course.objects.none()  # for the schema; get_queryset() scopes the rows
    read_scope = write_scope = "courses:read"
    lookup_field = "slug"
    filterset_class = UpdatedSinceFilterSet

    def get_queryset(self):
        return Course.objects.published()

    def get_serializer_class(self):
        return (
            serializers.CourseDetailSerializer
            if self.action == "retrieve"
            else serializers.CourseSerializer
        )

    def retrieve(self, request, *args, **kwargs):
        course = self.get_object()
        course.outline_modules = get_outline(course).modules
        return Response(self.get_serializer(course).data)


class LessonViewSet(viewsets.ReadOnlyModelViewSet):
    """Lessons with their sanitized HTML."""

    lookup_value_regex = r"\d+"
    queryset = Lesson.objects.none()  # for the schema; get_queryset() scopes the rows
    read_scope = write_scope = "courses:read"
    serializer_class = serializers.LessonSerializer
    filterset_class = CourseIdFilterSet

    def get_queryset(self):
        return Lesson.objects.current().filter(course__is_published=True).select_related("module")


class CohortFilterSet(CourseIdFilterSet):
    pass


class CohortViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = r"\d+"
    queryset = Cohort.objects.none()  # for the schema; get_queryset() scopes the rows
    read_scope = write_scope = "courses:read"
    serializer_class = serializers.CohortSerializer
    filterset_class = CohortFilterSet

    action_scopes = {"progress": "progress:read"}

    def get_queryset(self):
        return cohorts_for(self.request)

    @extend_schema(responses=serializers.ProgressSerializer(many=True))
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """Progress of every learner in the cohort, a page at a time."""
        # Not get_object(): the list filters (updated_since) are about cohorts, not progress.
        cohort = get_object_or_404(self.get_queryset(), pk=pk)
        queryset = Enrollment.objects.filter(cohort=cohort).select_related("course")
        try:
            since = IsoDateTimeField(required=False).clean(
                request.query_params.get("updated_since")
            )
        except DjangoValidationError as error:
            raise ValidationError({"updated_since": error.messages}) from None
        if since:
            since = since.astimezone(datetime.UTC)
            # Progress changes on LessonProgress rows, not on the enrollment itself.
            changed = LessonProgress.objects.filter(
                learner=OuterRef("learner"), lesson__course=cohort.course_id, updated_at__gte=since
            )
            queryset = queryset.filter(Q(updated_at__gte=since) | Exists(changed))
        page = self.paginate_queryset(queryset)
        annotate_progress(page)
        return self.get_paginated_response(serializers.ProgressSerializer(page, many=True).data)


class UserFilterSet(UpdatedSinceFilterSet):
    email = filters.CharFilter(field_name="email", lookup_expr="iexact")
    external_id = filters.CharFilter(field_name="external_id")

    class Meta:
        model = User
        fields = ["email"]


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Learners the client knows: linked to it, or enrolled in its cohorts."""

    lookup_value_regex = r"\d+"
    queryset = User.objects.none()  # for the schema; get_queryset() scopes the rows
    read_scope = "users:read"
    write_scope = "users:write"
    serializer_class = serializers.UserSerializer
    filterset_class = UserFilterSet

    def get_queryset(self):
        client = api_client(self.request)
        links = ClientLearner.objects.filter(user=OuterRef("pk"), client=client).exclude(
            external_id=""
        )
        return learners_for(self.request).annotate(
            external_id=Subquery(links.values("external_id")[:1])
        )

    @extend_schema(
        request=serializers.UserInputSerializer,
        responses={200: serializers.UserSerializer, 201: serializers.UserSerializer},
    )
    @idempotent
    def create(self, request):
        """Find a learner by external id or email, or create one: safe to repeat."""
        client = api_client(request)
        if client is None:
            raise ValidationError("Learners are created by API clients; staff use the admin.")
        data = serializers.UserInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, created = find_or_create_learner(client=client, **data.validated_data)
        return Response(
            serializers.UserSerializer(user).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class EnrollmentFilterSet(UpdatedSinceFilterSet):
    cohort = id_filter("cohort")
    course = id_filter("course")
    learner = id_filter("learner")
    status = filters.ChoiceFilter(choices=Enrollment.Status.choices)


class EnrollmentViewSet(
    ValuesListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Enrollments in the client's cohorts.

    Creating is idempotent; deleting drops the learner and keeps their work.
    """

    lookup_value_regex = r"\d+"
    queryset = Enrollment.objects.none()  # for the schema; get_queryset() scopes the rows
    read_scope = "enrollments:read"
    write_scope = "enrollments:write"
    action_scopes = {"progress": "progress:read"}
    serializer_class = serializers.EnrollmentSerializer
    filterset_class = EnrollmentFilterSet

    def get_queryset(self):
        mine = cohort_ids_for(self.request)
        if self.action == "list" and (cohort := _named_cohort(self.request)) is not None:
            # One cohort asked for: filter on it alone, not on a list of hundreds.
            if cohort not in mine:
                return Enrollment.objects.none()
            return Enrollment.objects.filter(cohort=cohort)
        return Enrollment.objects.filter(cohort__in=mine)

    def _enroll(self, cohort_id, user_id):
        cohorts = cohorts_for(self.request).filter(pk__in=_ids([cohort_id]))
        cohort = cohorts.select_related("course").first()
        if cohort is None:
            raise ValidationError({"cohort": "No such cohort among yours."})
        user = learners_for(self.request).filter(pk__in=_ids([user_id])).first()
        if user is None:
            raise ValidationError(
                {"user": "No such learner: create them with POST /api/v1/users/ first."}
            )
        enrollment, created = services.enroll_learner(
            learner=user, course=cohort.course, cohort=cohort, source=Enrollment.Source.API
        )
        if enrollment.cohort_id != cohort.pk:
            raise Conflict("The learner is already enrolled in another cohort of this course.")
        return enrollment, created

    @extend_schema(
        request=serializers.EnrollmentInputSerializer,
        responses={200: serializers.EnrollmentSerializer, 201: serializers.EnrollmentSerializer},
    )
    @idempotent
    def create(self, request):
        """Enroll a learner in a cohort; the same request again returns the same enrollment."""
        data = serializers.EnrollmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enrollment, created = self._enroll(
            data.validated_data["cohort"], data.validated_data["user"]
        )
        return Response(
            serializers.EnrollmentSerializer(enrollment).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        request=serializers.BulkEnrollmentInputSerializer,
        responses=serializers.BulkEnrollmentResultSerializer,
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def bulk(self, request):
        """Enroll up to 1,000 learners; each item is answered on its own."""
        data = serializers.BulkEnrollmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = data.validated_data["items"]
        # Three queries for the whole request instead of three per item.
        cohorts = cohorts_for(request).filter(pk__in=_ids(item["cohort"] for item in items))
        cohorts = {cohort.pk: cohort for cohort in cohorts.select_related("course")}
        users = set(
            learners_for(request)
            .filter(pk__in=_ids(item["user"] for item in items))
            .values_list("pk", flat=True)
        )
        results: list[dict | None] = [None] * len(items)
        by_cohort: dict[int, list[tuple[int, int]]] = {}
        for index, item in enumerate(items):
            if item["cohort"] not in cohorts:
                errors = {"cohort": ["No such cohort among yours."]}
            elif item["user"] not in users:
                errors = {"user": ["No such learner: create them with POST /api/v1/users/ first."]}
            else:
                by_cohort.setdefault(item["cohort"], []).append((index, item["user"]))
                continue
            results[index] = {"index": index, "status": 400, "errors": errors}
        for cohort_id, pairs in by_cohort.items():
            enrolled = services.enroll_learners(
                cohort=cohorts[cohort_id],
                learner_ids=[user for _, user in pairs],
                source=Enrollment.Source.API,
            )
            answered = set()
            for index, user in pairs:
                if user not in enrolled:
                    errors = ["This cohort is full."]
                    results[index] = {"index": index, "status": 400, "errors": errors}
                    continue
                enrollment, created = enrolled[user]
                if enrollment.cohort_id != cohort_id:
                    detail = "The learner is already enrolled in another cohort of this course."
                    results[index] = {"index": index, "status": 409, "errors": detail}
                    continue
                # The same learner twice in one request: created once, then found.
                results[index] = {
                    "index": index,
                    "status": 201 if created and user not in answered else 200,
                    "enrollment": enrollment.pk,
                }
                answered.add(user)
        return Response({"results": results}, status=status.HTTP_200_OK)

    def perform_destroy(self, instance):
        services.drop_enrollments(enrollments=Enrollment.objects.filter(pk=instance.pk))

    @extend_schema(responses=serializers.ProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """The learner's lesson progress in this enrollment's course."""
        enrollment = get_object_or_404(
            Enrollment.objects.filter(cohort__in=cohorts_for(request)).select_related("course"),
            pk=pk,
        )
        annotate_progress([enrollment])
        return Response(serializers.ProgressSerializer(enrollment).data)


class AssignmentViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = r"\d+"
    queryset = Assignment.objects.none()  # for the schema; get_queryset() scopes the rows
    read_scope = write_scope = "courses:read"
    serializer_class = serializers.AssignmentSerializer
    filterset_class = CourseIdFilterSet

    def get_queryset(self):
        return Assignment.objects.published().prefetch_related(
            Prefetch("criteria", queryset=RubricCriterion.objects.prefetch_related("levels"))
        )


class WorkFilterSet(UpdatedSinceFilterSet):
    cohort = id_filter("submission__cohort")
    assignment = id_filter("submission__assignment")
    learner = id_filter("submission__learner")


class SubmissionFilterSet(UpdatedSinceFilterSet):
    cohort = id_filter("cohort")
    assignment = id_filter("assignment")
    learner = id_filter("learner")
    status = filters.ChoiceFilter(choices=Submission.Status.choices)


class SubmissionViewSet(viewsets.ReadOnlyModelViewSet):
    """Submitted work (never drafts) in the client's cohorts, read only."""

    lookup_value_regex = r"\d+"
    queryset = Submission.objects.none()  # for the schema; get_queryset() scopes the rows
    read_scope = write_scope = "grades:read"
    serializer_class = serializers.SubmissionSerializer
    filterset_class = SubmissionFilterSet

    def get_queryset(self):
        return Submission.objects.handed_in().filter(cohort__in=cohorts_for(self.request))


class GradeViewSet(viewsets.ReadOnlyModelViewSet):
    """Released grades only, with the rubric breakdown."""

    lookup_value_regex = r"\d+"
    queryset = Grade.objects.none()  # for the schema; get_queryset() scopes the rows
    read_scope = write_scope = "grades:read"
    serializer_class = serializers.GradeSerializer
    filterset_class = WorkFilterSet

    def get_queryset(self):
        return (
            Grade.objects.released()
            .filter(submission__cohort__in=cohorts_for(self.request))
            .select_related("submission")
        )


class CheckResultFilterSet(UpdatedSinceFilterSet):
    updated_since = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    learner = id_filter("learner")
    lesson = id_filter("lesson")


class CheckResultViewSet(viewsets.ReadOnlyModelViewSet):
    """Knowledge-check attempts of learners in the client's cohorts."""

    lookup_value_regex = r"\d+"
    queryset = CheckAttempt.objects.none()  # for the schema; get_queryset() scopes the rows
    read_scope = write_scope = "progress:read"
    serializer_class = serializers.CheckResultSerializer
    filterset_class = CheckResultFilterSet

    def get_queryset(self):
        enrolled = Enrollment.objects.filter(
            learner=OuterRef("learner"),
            course=OuterRef("lesson__course"),
            cohort__in=cohorts_for(self.request),
        )
        return CheckAttempt.objects.filter(Exists(enrolled))

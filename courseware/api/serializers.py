"""The API's shapes. Serializers check and present data; services do the writes."""

from rest_framework import serializers

from accounts.models import User
from courseware.models import (
    Assignment,
    CheckAttempt,
    Cohort,
    Course,
    Enrollment,
    Grade,
    Lesson,
    RubricCriterion,
    RubricLevel,
    Submission,
)


class LessonSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    slug = serializers.CharField()
    title = serializers.CharField()
    reading_minutes = serializers.IntegerField()
    url = serializers.CharField()


class ModuleOutlineSerializer(serializers.Serializer):
    title = serializers.CharField()
    summary = serializers.CharField()
    lessons = LessonSummarySerializer(many=True)


class CourseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Course
        fields = ["id", "slug", "title", "summary", "version", "updated_at"]


class CourseDetailSerializer(CourseSerializer):
    outline = ModuleOutlineSerializer(many=True, source="outline_modules")

    class Meta(CourseSerializer.Meta):
        fields = [*CourseSerializer.Meta.fields, "outline"]


class LessonSerializer(serializers.ModelSerializer):
    module = serializers.CharField(source="module.title")
    body_html = serializers.CharField(help_text="Sanitized HTML of the lesson text.")

    class Meta:
        model = Lesson
        fields = [
            "id",
            "course",
            "module",
            "slug",
            "title",
            "reading_minutes",
            "body_html",
            "updated_at",
        ]


class CohortSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cohort
        fields = [
            "id",
            "course",
            "name",
            "slug",
            "starts_on",
            "ends_on",
            "timezone",
            "capacity",
            "join_policy",
            "updated_at",
        ]


class UserSerializer(serializers.ModelSerializer):
    external_id = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["id", "email", "display_name", "external_id", "updated_at"]


class UserInputSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False)
    external_id = serializers.CharField(required=False, max_length=255)
    display_name = serializers.CharField(
        required=False, allow_blank=True, max_length=150, default=""
    )

    def validate(self, attrs):
        if not attrs.get("email") and not attrs.get("external_id"):
            raise serializers.ValidationError("Give an email, an external_id, or both.")
        return attrs


class EnrollmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enrollment
        fields = [
            "id",
            "learner",
            "cohort",
            "course",
            "status",
            "source",
            "created_at",
            "updated_at",
            "completed_at",
        ]


class EnrollmentInputSerializer(serializers.Serializer):
    # Out-of-range ids are answered as unknown ones, item by item in a bulk request.
    cohort = serializers.IntegerField()
    user = serializers.IntegerField()


class BulkEnrollmentInputSerializer(serializers.Serializer):
    items = EnrollmentInputSerializer(many=True, allow_empty=False, max_length=1000)


class BulkItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.IntegerField(help_text="201 created, 200 already enrolled, 4xx refused.")
    enrollment = serializers.IntegerField(required=False)
    errors = serializers.JSONField(required=False)


class BulkEnrollmentResultSerializer(serializers.Serializer):
    results = BulkItemResultSerializer(many=True)


class ProgressSerializer(serializers.Serializer):
    enrollment = serializers.IntegerField(source="pk")
    learner = serializers.IntegerField(source="learner_id")
    cohort = serializers.IntegerField(source="cohort_id")
    lessons_total = serializers.IntegerField()
    lessons_completed = serializers.IntegerField()
    percent_complete = serializers.IntegerField()
    status = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)


class RubricLevelSerializer(serializers.ModelSerializer):
    class Meta:
        model = RubricLevel
        fields = ["id", "title", "description", "points"]


class RubricCriterionSerializer(serializers.ModelSerializer):
    levels = RubricLevelSerializer(many=True)

    class Meta:
        model = RubricCriterion
        fields = ["id", "title", "description", "levels"]


class AssignmentSerializer(serializers.ModelSerializer):
    criteria = RubricCriterionSerializer(many=True)

    class Meta:
        model = Assignment
        fields = [
            "id", "course", "slug", "title", "prompt_html", "points_possible", "max_attempts",
            "late_percent_per_day", "late_cap_percent", "hard_cutoff_days", "criteria",
            "updated_at",
        ]  # fmt: skip


class SubmissionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Submission
        fields = [
            "id", "assignment", "learner", "cohort", "attempt", "status", "word_count",
            "submitted_at", "due_at", "days_late", "penalty_percent", "updated_at",
        ]  # fmt: skip


class RubricScoreSerializer(serializers.Serializer):
    criterion_id = serializers.IntegerField()
    criterion = serializers.CharField()
    level_id = serializers.IntegerField()
    level = serializers.CharField()
    points = serializers.DecimalField(max_digits=7, decimal_places=2)
    max_points = serializers.DecimalField(max_digits=7, decimal_places=2)
    comment = serializers.CharField()


class GradeSerializer(serializers.ModelSerializer):
    submission = serializers.IntegerField(source="submission_id")
    assignment = serializers.IntegerField(source="submission.assignment_id")
    learner = serializers.IntegerField(source="submission.learner_id")
    rubric = RubricScoreSerializer(many=True)

    class Meta:
        model = Grade
        fields = [
            "id", "submission", "assignment", "learner", "score", "points_possible",
            "raw_score", "penalty_percent", "rubric", "feedback", "released_at", "updated_at",
        ]  # fmt: skip


class CheckResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = CheckAttempt
        fields = ["id", "learner", "lesson", "score", "max_score", "percent", "created_at"]

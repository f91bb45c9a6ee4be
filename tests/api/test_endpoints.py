"""Every endpoint: no token 401, wrong scope 403, right scope 200; shapes; other clients' rows."""

import pytest
from rest_framework.test import APIClient

from courseware.models import Enrollment
from courseware.services import complete_lesson

from ..factories import AssignmentFactory, CourseFactory, LessonFactory, SubmissionFactory
from .conftest import ALL_SCOPES, PROBLEM, connect, create_api_client, ids

READS = [
    ("/api/v1/courses/", "courses:read"),
    ("/api/v1/courses/{course_slug}/", "courses:read"),
    ("/api/v1/lessons/", "courses:read"),
    ("/api/v1/cohorts/", "courses:read"),
    ("/api/v1/assignments/", "courses:read"),
    ("/api/v1/users/", "users:read"),
    ("/api/v1/enrollments/", "enrollments:read"),
    ("/api/v1/submissions/", "grades:read"),
    ("/api/v1/grades/", "grades:read"),
    ("/api/v1/check-results/", "progress:read"),
    ("/api/v1/cohorts/{cohort}/progress/", "progress:read"),
    ("/api/v1/enrollments/{enrollment}/progress/", "progress:read"),
]

WRITES = [
    ("post", "/api/v1/users/", "users:write"),
    ("post", "/api/v1/enrollments/", "enrollments:write"),
    ("post", "/api/v1/enrollments/bulk/", "enrollments:write"),
    ("delete", "/api/v1/enrollments/{enrollment}/", "enrollments:write"),
]

# Rows that belong to a cohort: a client sees those of its own cohorts only.
SCOPED_DETAILS = [
    "/api/v1/cohorts/{cohort}/",
    "/api/v1/cohorts/{cohort}/progress/",
    "/api/v1/users/{learner}/",
    "/api/v1/enrollments/{enrollment}/",
    "/api/v1/enrollments/{enrollment}/progress/",
    "/api/v1/submissions/{submission}/",
    "/api/v1/grades/{grade}/",
    "/api/v1/check-results/{check}/",
]

SCOPED_LISTS = [
    ("/api/v1/cohorts/", "cohort"),
    ("/api/v1/users/", "learner"),
    ("/api/v1/enrollments/", "enrollment"),
    ("/api/v1/submissions/", "submission"),
    ("/api/v1/grades/", "grade"),
    ("/api/v1/check-results/", "check"),
]


def fill(path, side, world):
    """Put one side's ids (ours or theirs) into a path template."""
    return path.format(
        course_slug=world.course.slug,
        cohort=side.cohort.pk,
        learner=side.learner.pk,
        enrollment=side.enrollment.pk,
        submission=side.submission.pk,
        grade=side.grade.pk,
        check=side.check.pk,
    )


def write_body(path, world):
    if path.endswith("/users/"):
        return {"email": "new@example.org"}
    item = {"cohort": world.ours.cohort.pk, "user": world.ours.learner.pk}
    return {"items": [item]} if path.endswith("/bulk/") else item


def client_with(scopes, world):
    return connect(create_api_client(scopes=scopes, cohorts=[world.ours.cohort]))


@pytest.mark.parametrize(("path", "scope"), READS)
def test_read_without_a_token_is_unauthorized(world, path, scope):
    response = APIClient().get(fill(path, world.ours, world))
    assert (response.status_code, response["Content-Type"]) == (401, PROBLEM)


@pytest.mark.parametrize(("path", "scope"), READS)
def test_read_with_a_token_lacking_the_scope_is_forbidden(world, path, scope):
    api = client_with([other for other in ALL_SCOPES if other != scope], world)
    response = api.get(fill(path, world.ours, world))
    assert (response.status_code, response["Content-Type"]) == (403, PROBLEM)


@pytest.mark.parametrize(("path", "scope"), READS)
def test_read_with_only_the_scope_succeeds(world, path, scope):
    api = client_with([scope], world)
    assert api.get(fill(path, world.ours, world)).status_code == 200


@pytest.mark.parametrize(("method", "path", "scope"), WRITES)
def test_write_without_a_token_is_unauthorized(world, method, path, scope):
    call = getattr(APIClient(), method)
    response = call(fill(path, world.ours, world), write_body(path, world), format="json")
    assert (response.status_code, response["Content-Type"]) == (401, PROBLEM)


@pytest.mark.parametrize(("method", "path", "scope"), WRITES)
def test_write_with_a_token_lacking_the_scope_is_forbidden(world, method, path, scope):
    api = client_with([other for other in ALL_SCOPES if other != scope], world)
    call = getattr(api, method)
    response = call(fill(path, world.ours, world), write_body(path, world), format="json")
    assert (response.status_code, response["Content-Type"]) == (403, PROBLEM)


@pytest.mark.parametrize(("method", "path", "scope"), WRITES)
def test_write_with_only_the_scope_succeeds(world, method, path, scope):
    call = getattr(client_with([scope], world), method)
    response = call(fill(path, world.ours, world), write_body(path, world), format="json")
    assert response.status_code in {200, 201, 204}


@pytest.mark.parametrize(("path", "key"), SCOPED_LISTS)
def test_list_shows_only_rows_of_the_clients_cohorts(lms, world, path, key):
    assert ids(lms.get(path)) == [getattr(world.ours, key).pk]


@pytest.mark.parametrize("path", SCOPED_DETAILS)
def test_own_row_is_readable(lms, world, path):
    assert lms.get(fill(path, world.ours, world)).status_code == 200


@pytest.mark.parametrize("path", SCOPED_DETAILS)
def test_another_clients_row_is_not_found(lms, world, path):
    response = lms.get(fill(path, world.theirs, world))
    assert (response.status_code, response["Content-Type"]) == (404, PROBLEM)


def test_deleting_another_clients_enrollment_is_not_found_and_changes_nothing(lms, world):
    response = lms.delete(f"/api/v1/enrollments/{world.theirs.enrollment.pk}/")
    world.theirs.enrollment.refresh_from_db()
    assert response.status_code == 404
    assert world.theirs.enrollment.status == Enrollment.Status.ACTIVE


@pytest.mark.parametrize(
    ("path", "parameter", "key"),
    [
        ("/api/v1/enrollments/", "cohort", "cohort"),
        ("/api/v1/enrollments/", "learner", "learner"),
        ("/api/v1/submissions/", "learner", "learner"),
    ],
)
def test_filtering_by_another_clients_id_answers_as_for_an_unknown_id(
    lms, world, path, parameter, key
):
    # Otherwise the difference between 200 and 400 tells a client which ids exist.
    theirs = lms.get(path, {parameter: getattr(world.theirs, key).pk})
    unknown = lms.get(path, {parameter: 987654321})
    assert theirs.status_code == unknown.status_code


# Shapes


def first(response):
    assert response.status_code == 200, response.content
    return response.json()["results"][0]


def test_course_lists_its_fields(lms, world):
    assert set(first(lms.get("/api/v1/courses/"))) == {
        "id", "slug", "title", "summary", "version", "updated_at",
    }  # fmt: skip


def test_course_detail_carries_the_module_and_lesson_outline(lms, world):
    course = lms.get(f"/api/v1/courses/{world.course.slug}/").json()
    module = course["outline"][0]
    assert (module["title"], set(module)) == (
        world.lesson.module.title,
        {"title", "summary", "lessons"},
    )
    assert module["lessons"][0] == {
        "id": world.lesson.pk,
        "slug": "soft-power",
        "title": "Soft power",
        "reading_minutes": world.lesson.reading_minutes,
        "url": world.lesson.get_absolute_url(),
    }


def test_unpublished_course_is_neither_listed_nor_found(lms, db):
    hidden = CourseFactory(is_published=False)
    assert hidden.pk not in ids(lms.get("/api/v1/courses/"))
    assert lms.get(f"/api/v1/courses/{hidden.slug}/").status_code == 404


def test_lesson_lists_its_fields(lms, world):
    assert set(first(lms.get("/api/v1/lessons/"))) == {
        "id", "course", "module", "slug", "title", "reading_minutes", "body_html", "updated_at",
    }  # fmt: skip


def test_lesson_html_is_sanitized(lms, world):
    source = '**Bold** <script>alert(1)</script> <a href="javascript:alert(1)">x</a>'
    lesson = LessonFactory(module=world.lesson.module, body_source=source)
    body = lms.get(f"/api/v1/lessons/{lesson.pk}/").json()["body_html"]
    assert "<strong>Bold</strong>" in body
    assert "<script" not in body and "<a " not in body


def test_cohort_lists_its_fields(lms, world):
    assert set(first(lms.get("/api/v1/cohorts/"))) == {
        "id", "course", "name", "slug", "starts_on", "ends_on", "timezone", "capacity",
        "join_policy", "updated_at",
    }  # fmt: skip


def test_cohort_does_not_show_its_join_code(lms, world):
    world.ours.cohort.join_code = "SECRET-CODE"
    world.ours.cohort.save()
    assert "SECRET-CODE" not in lms.get(f"/api/v1/cohorts/{world.ours.cohort.pk}/").content.decode()


def test_user_lists_its_fields(lms, world):
    user = first(lms.get("/api/v1/users/"))
    assert user == {
        "id": world.ours.learner.pk,
        "email": "ours@example.org",
        "display_name": world.ours.learner.display_name,
        "external_id": None,
        "updated_at": user["updated_at"],
    }


def test_enrollment_lists_its_fields(lms, world):
    assert set(first(lms.get("/api/v1/enrollments/"))) == {
        "id", "learner", "cohort", "course", "status", "source", "created_at", "updated_at",
        "completed_at",
    }  # fmt: skip


def test_assignment_carries_its_rubric(lms, world):
    assignment = first(lms.get("/api/v1/assignments/"))
    criterion = assignment["criteria"][0]
    assert criterion["title"] == "Argument"
    assert [level["title"] for level in criterion["levels"]] == ["Convincing", "Thin"]
    assert set(criterion["levels"][0]) == {"id", "title", "description", "points"}


def test_unpublished_assignment_is_not_listed(lms, world):
    hidden = AssignmentFactory(course=world.course, is_published=False)
    assert hidden.pk not in ids(lms.get("/api/v1/assignments/"))


def test_submission_lists_its_fields(lms, world):
    assert set(first(lms.get("/api/v1/submissions/"))) == {
        "id", "assignment", "learner", "cohort", "attempt", "status", "word_count",
        "submitted_at", "due_at", "days_late", "penalty_percent", "updated_at",
    }  # fmt: skip


def test_submission_list_leaves_out_drafts(lms, world):
    draft = SubmissionFactory(
        assignment=world.assignment,
        learner=world.ours.learner,
        cohort=world.ours.cohort,
        attempt=2,
        status="draft",
        submitted_at=None,
    )
    assert draft.pk not in ids(lms.get("/api/v1/submissions/"))


def test_grade_carries_the_rubric_breakdown(lms, world):
    grade = first(lms.get("/api/v1/grades/"))
    assert (grade["score"], grade["learner"], grade["submission"]) == (
        "8.00", world.ours.learner.pk, world.ours.submission.pk,
    )  # fmt: skip
    assert grade["rubric"] == [
        {
            "criterion_id": world.criterion.pk,
            "criterion": "Argument",
            "level_id": world.level.pk,
            "level": "Convincing",
            "points": "8.00",
            "max_points": "8.00",
            "comment": "",
        }
    ]


def test_grade_list_leaves_out_unreleased_grades(lms, unreleased_grade):
    assert unreleased_grade.pk not in ids(lms.get("/api/v1/grades/"))


def test_unreleased_grade_is_not_found(lms, unreleased_grade):
    assert lms.get(f"/api/v1/grades/{unreleased_grade.pk}/").status_code == 404


def test_check_result_lists_its_fields(lms, world):
    result = first(lms.get("/api/v1/check-results/"))
    assert result == {
        "id": world.ours.check.pk,
        "learner": world.ours.learner.pk,
        "lesson": world.lesson.pk,
        "score": 2,
        "max_score": 3,
        "percent": 67,
        "created_at": result["created_at"],
    }


def test_enrollment_progress_counts_completed_lessons(lms, world):
    complete_lesson(
        learner=world.ours.learner, lesson=world.lesson, enrollment=world.ours.enrollment
    )
    progress = lms.get(f"/api/v1/enrollments/{world.ours.enrollment.pk}/progress/").json()
    assert progress == {
        "enrollment": world.ours.enrollment.pk,
        "learner": world.ours.learner.pk,
        "cohort": world.ours.cohort.pk,
        "lessons_total": 1,
        "lessons_completed": 1,
        "percent_complete": 100,
        "status": "completed",
        "completed_at": progress["completed_at"],
    }


def test_cohort_progress_lists_each_learner_of_the_cohort(lms, world):
    response = lms.get(f"/api/v1/cohorts/{world.ours.cohort.pk}/progress/")
    assert [row["learner"] for row in response.json()["results"]] == [world.ours.learner.pk]

"""Every 4xx answers in one format: RFC 9457 problem details, with field errors on 400s."""

import pytest

from ..factories import CohortFactory
from .conftest import PROBLEM, bearer, connect_new

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


@pytest.fixture
def lenient(lms):
    """The client's token, with server errors answered as responses rather than raised."""
    return bearer(lms.access_token, raise_request_exception=False)


def test_validation_error_is_a_problem_with_field_errors(lms):
    response = lms.post("/api/v1/enrollments/", {"cohort": "spring"}, format="json")
    body = response.json()
    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM)
    assert set(body) == PROBLEM_KEYS | {"errors"}
    assert (body["type"], body["title"], body["status"]) == ("about:blank", "Bad Request", 400)
    assert set(body["errors"]) == {"cohort", "user"}


def test_field_errors_are_lists_of_messages(lms):
    response = lms.post("/api/v1/enrollments/", {"cohort": "spring", "user": 1}, format="json")
    assert response.json()["errors"] == {"cohort": ["A valid integer is required."]}


def test_field_errors_raised_by_the_view_are_lists_of_messages_too(lms, cohort):
    response = lms.post("/api/v1/enrollments/", {"cohort": 987654321, "user": 1}, format="json")
    assert response.json()["errors"] == {"cohort": ["No such cohort among yours."]}


def test_error_across_fields_is_reported_under_non_field_errors(lms):
    response = lms.post("/api/v1/users/", {"display_name": "Nobody"}, format="json")
    assert (response.status_code, set(response.json()["errors"])) == (400, {"non_field_errors"})


def test_invalid_filter_is_a_problem_naming_the_filter(lms):
    response = lms.get("/api/v1/enrollments/", {"updated_since": "last tuesday"})
    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM)
    assert set(response.json()["errors"]) == {"updated_since"}


def test_out_of_range_id_filter_is_not_a_server_error(lenient):
    response = lenient.get("/api/v1/grades/", {"cohort": "32683056245867886646657024"})
    assert response.status_code < 500


def test_updated_since_with_a_far_utc_offset_is_not_a_server_error(lenient):
    response = lenient.get("/api/v1/enrollments/", {"updated_since": "2026-01-01T00:00:00+23:25"})
    assert response.status_code < 500


def test_malformed_json_is_a_problem(lms):
    response = lms.post("/api/v1/users/", "{not json", content_type="application/json")
    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM)
    assert "JSON" in response.json()["detail"]


def test_unsupported_media_type_is_a_problem(lms):
    response = lms.post("/api/v1/users/", "email=a@example.org", content_type="text/plain")
    assert (response.status_code, response["Content-Type"]) == (415, PROBLEM)


def test_unknown_id_is_a_not_found_problem(lms):
    response = lms.get("/api/v1/enrollments/987654321/")
    body = response.json()
    assert (response.status_code, response["Content-Type"]) == (404, PROBLEM)
    assert (body["title"], body["status"], body["instance"]) == (
        "Not Found", 404, "/api/v1/enrollments/987654321/",
    )  # fmt: skip


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/enrollments/not-a-number/",
        "/api/v1/enrollments/not-a-number/progress/",
        "/api/v1/cohorts/not-a-number/progress/",
        "/api/v1/grades/not-a-number/",
    ],
)
def test_non_numeric_id_is_a_not_found_problem(lenient, path):
    response = lenient.get(path)
    assert (response.status_code, response["Content-Type"]) == (404, PROBLEM)


def test_unknown_api_path_is_a_not_found_problem(lms):
    response = lms.get("/api/v1/nope/")
    assert (response.status_code, response["Content-Type"]) == (404, PROBLEM)
    assert response.json()["instance"] == "/api/v1/nope/"


def test_unknown_api_path_is_a_problem_even_without_a_token(client):
    response = client.get("/api/v1/nope/")
    assert (response.status_code, response["Content-Type"]) == (404, PROBLEM)


def test_invalid_cursor_is_a_problem(lms):
    response = lms.get("/api/v1/enrollments/", {"cursor": "garbage"})
    assert response["Content-Type"] == PROBLEM
    assert response.status_code in {400, 404}


def test_method_not_allowed_is_a_problem_with_allow(lms, world):
    response = lms.put(f"/api/v1/enrollments/{world.ours.enrollment.pk}/", {}, format="json")
    assert (response.status_code, response["Content-Type"]) == (405, PROBLEM)
    assert "DELETE" in response["Allow"] and "PUT" not in response["Allow"]


def test_conflict_is_a_problem_with_a_detail(lms, cohort, newcomer_in_two_cohorts):
    later, user_id = newcomer_in_two_cohorts
    response = lms.post(
        "/api/v1/enrollments/", {"cohort": later.pk, "user": user_id}, format="json"
    )
    body = response.json()
    assert (response.status_code, response["Content-Type"]) == (409, PROBLEM)
    assert (body["title"], body["status"]) == ("Conflict", 409)
    assert "another cohort" in body["detail"]


def test_unauthorized_is_a_problem(client):
    response = client.get("/api/v1/enrollments/")
    body = response.json()
    assert (response.status_code, response["Content-Type"]) == (401, PROBLEM)
    assert set(body) == PROBLEM_KEYS


def test_forbidden_is_a_problem(cohort):
    api = connect_new(scopes=["courses:read"], cohorts=[cohort])
    response = api.get("/api/v1/enrollments/")
    assert (response.status_code, set(response.json())) == (403, PROBLEM_KEYS)


@pytest.fixture
def newcomer_in_two_cohorts(lms, cohort):
    """A learner enrolled in the Spring cohort, and a later cohort of the course, both ours."""
    later = CohortFactory(course=cohort.course, slug="later", is_default=False)
    lms.api_client.cohorts.add(later)
    user_id = lms.post("/api/v1/users/", {"email": "n@example.org"}, format="json").json()["id"]
    lms.post("/api/v1/enrollments/", {"cohort": cohort.pk, "user": user_id}, format="json")
    return later, user_id

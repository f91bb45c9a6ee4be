"""The OpenAPI 3 schema: OAuth 2.0 declared, and every answer of the API matches it."""

import copy
import re

import jsonschema
import pytest
from rest_framework.test import APIClient

from integrations.scopes import SCOPES

from .conftest import PROBLEM

# The scope each operation needs, as ClientScopeOrStaff enforces it.
OPERATION_SCOPES = {
    ("get", "/api/v1/courses/"): "courses:read",
    ("get", "/api/v1/courses/{slug}/"): "courses:read",
    ("get", "/api/v1/lessons/"): "courses:read",
    ("get", "/api/v1/lessons/{id}/"): "courses:read",
    ("get", "/api/v1/cohorts/"): "courses:read",
    ("get", "/api/v1/cohorts/{id}/"): "courses:read",
    ("get", "/api/v1/cohorts/{id}/progress/"): "progress:read",
    ("get", "/api/v1/assignments/"): "courses:read",
    ("get", "/api/v1/assignments/{id}/"): "courses:read",
    ("get", "/api/v1/users/"): "users:read",
    ("post", "/api/v1/users/"): "users:write",
    ("get", "/api/v1/users/{id}/"): "users:read",
    ("get", "/api/v1/enrollments/"): "enrollments:read",
    ("post", "/api/v1/enrollments/"): "enrollments:write",
    ("post", "/api/v1/enrollments/bulk/"): "enrollments:write",
    ("get", "/api/v1/enrollments/{id}/"): "enrollments:read",
    ("delete", "/api/v1/enrollments/{id}/"): "enrollments:write",
    ("get", "/api/v1/enrollments/{id}/progress/"): "progress:read",
    ("get", "/api/v1/submissions/"): "grades:read",
    ("get", "/api/v1/submissions/{id}/"): "grades:read",
    ("get", "/api/v1/grades/"): "grades:read",
    ("get", "/api/v1/grades/{id}/"): "grades:read",
    ("get", "/api/v1/check-results/"): "progress:read",
    ("get", "/api/v1/check-results/{id}/"): "progress:read",
}


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    methods = {"get", "post", "put", "patch", "delete"}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in methods:
                yield method, path, operation


def json_schema(openapi_schema, components):
    """Turn an OpenAPI 3.0 schema into strict JSON Schema: refs inlined, nullable as null.

    Objects allow no undocumented keys, so an answer with an extra field fails too.
    """
    node = copy.deepcopy(openapi_schema)
    if "$ref" in node:
        return json_schema(components[node["$ref"].rsplit("/", 1)[1]], components)
    for key in ("allOf", "anyOf", "oneOf"):
        if key in node:
            node[key] = [json_schema(part, components) for part in node[key]]
    if "items" in node:
        node["items"] = json_schema(node["items"], components)
    if "properties" in node:
        node["properties"] = {
            name: json_schema(part, components) for name, part in node["properties"].items()
        }
        node.setdefault("additionalProperties", False)
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


def response_schema(schema, method, path, status):
    responses = schema["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} does not document {status}"
    content = responses[str(status)].get("content", {})
    assert "application/json" in content, f"{method.upper()} {path} {status} has no JSON body"
    return json_schema(content["application/json"]["schema"], schema["components"]["schemas"])


# Security and docs


def test_schema_is_openapi_3(schema):
    assert re.fullmatch(r"3\.\d+\.\d+", schema["openapi"])


def test_schema_declares_the_client_credentials_flow_at_the_token_url(schema):
    oauth2 = schema["components"]["securitySchemes"]["oauth2"]
    assert oauth2["type"] == "oauth2"
    assert oauth2["flows"]["clientCredentials"]["tokenUrl"] == "/o/token/"


def test_schema_declares_every_scope(schema):
    flow = schema["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert set(flow["scopes"]) == set(SCOPES)


def test_schema_lists_every_operation_of_the_api(schema):
    assert {(method, path) for method, path, _ in operations(schema)} == set(OPERATION_SCOPES)


def test_every_operation_requires_an_oauth2_token_with_its_scope(schema):
    wrong = {}
    for method, path, operation in operations(schema):
        oauth2 = [entry["oauth2"] for entry in operation.get("security", []) if "oauth2" in entry]
        if oauth2 != [[OPERATION_SCOPES[method, path]]]:
            wrong[f"{method.upper()} {path}"] = operation.get("security")
    assert wrong == {}


def test_every_operation_documents_its_problem_responses(schema):
    missing = {}
    for method, path, operation in operations(schema):
        expected = {"401", "403"} | ({"400"} if method == "post" else set())
        expected |= {"404"} if "{" in path else set()
        documented = {
            status
            for status, response in operation["responses"].items()
            if PROBLEM in response.get("content", {})
        }
        if expected - documented:
            missing[f"{method.upper()} {path}"] = sorted(expected - documented)
    assert missing == {}


def test_docs_load_swagger_ui_from_the_installed_sidecar_package(client, db):
    html = client.get("/api/v1/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith(".js") for asset in assets)
    # Its own set-up script comes from the docs view itself: no inline script (CSP).
    assert all(
        asset.startswith(("/static/drf_spectacular_sidecar/", "/api/v1/docs/?")) for asset in assets
    )
    assert "<script>" not in html


def test_docs_reference_no_cdn(client, db):
    html = client.get("/api/v1/docs/").content.decode()
    assert not re.search(r"https?://", html)


def test_docs_point_at_the_schema(client, db):
    assert '"/api/v1/schema/"' in client.get("/api/v1/docs/", {"script": ""}).content.decode()


# Answers against the schema

READ_ANSWERS = [
    ("/api/v1/courses/", "/api/v1/courses/"),
    ("/api/v1/courses/{slug}/", "/api/v1/courses/{course_slug}/"),
    ("/api/v1/lessons/", "/api/v1/lessons/"),
    ("/api/v1/lessons/{id}/", "/api/v1/lessons/{lesson}/"),
    ("/api/v1/cohorts/", "/api/v1/cohorts/"),
    ("/api/v1/cohorts/{id}/", "/api/v1/cohorts/{cohort}/"),
    ("/api/v1/cohorts/{id}/progress/", "/api/v1/cohorts/{cohort}/progress/"),
    ("/api/v1/assignments/", "/api/v1/assignments/"),
    ("/api/v1/assignments/{id}/", "/api/v1/assignments/{assignment}/"),
    ("/api/v1/users/", "/api/v1/users/"),
    ("/api/v1/users/{id}/", "/api/v1/users/{learner}/"),
    ("/api/v1/enrollments/", "/api/v1/enrollments/"),
    ("/api/v1/enrollments/{id}/", "/api/v1/enrollments/{enrollment}/"),
    ("/api/v1/enrollments/{id}/progress/", "/api/v1/enrollments/{enrollment}/progress/"),
    ("/api/v1/submissions/", "/api/v1/submissions/"),
    ("/api/v1/submissions/{id}/", "/api/v1/submissions/{submission}/"),
    ("/api/v1/grades/", "/api/v1/grades/"),
    ("/api/v1/grades/{id}/", "/api/v1/grades/{grade}/"),
    ("/api/v1/check-results/", "/api/v1/check-results/"),
    ("/api/v1/check-results/{id}/", "/api/v1/check-results/{check}/"),
]


def url_for(template, world):
    return template.format(
        course_slug=world.course.slug,
        lesson=world.lesson.pk,
        assignment=world.assignment.pk,
        cohort=world.ours.cohort.pk,
        learner=world.ours.learner.pk,
        enrollment=world.ours.enrollment.pk,
        submission=world.ours.submission.pk,
        grade=world.ours.grade.pk,
        check=world.ours.check.pk,
    )


@pytest.mark.parametrize(("path", "url"), READ_ANSWERS)
def test_read_answer_matches_the_schema(schema, lms, world, path, url):
    response = lms.get(url_for(url, world))
    assert response.status_code == 200
    jsonschema.validate(response.json(), response_schema(schema, "get", path, 200))


def test_user_create_answer_matches_the_schema(schema, lms):
    response = lms.post(
        "/api/v1/users/", {"email": "n@example.org", "external_id": "x1"}, format="json"
    )
    assert response.status_code == 201
    jsonschema.validate(response.json(), response_schema(schema, "post", "/api/v1/users/", 201))


def test_enrollment_create_answer_matches_the_schema(schema, lms, world):
    body = {"cohort": world.ours.cohort.pk, "user": world.ours.learner.pk}
    response = lms.post("/api/v1/enrollments/", body, format="json")
    assert response.status_code == 200
    jsonschema.validate(
        response.json(), response_schema(schema, "post", "/api/v1/enrollments/", 200)
    )


def test_bulk_enrollment_answer_matches_the_schema(schema, lms, world):
    items = [
        {"cohort": world.ours.cohort.pk, "user": world.ours.learner.pk},
        {"cohort": 0, "user": 0},
    ]
    response = lms.post("/api/v1/enrollments/bulk/", {"items": items}, format="json")
    assert response.status_code == 200
    path = "/api/v1/enrollments/bulk/"
    jsonschema.validate(response.json(), response_schema(schema, "post", path, 200))


def test_enrollment_delete_is_documented_as_204(schema):
    assert "204" in schema["paths"]["/api/v1/enrollments/{id}/"]["delete"]["responses"]

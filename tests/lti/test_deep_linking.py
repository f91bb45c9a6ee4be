"""Deep Linking 2.0: an instructor picks activities; the platform gets a signed answer."""

import re

import pytest
from django.urls import reverse

from .platform import ROLE_LEARNER

pytestmark = pytest.mark.django_db
CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"


def pick(lms, course, items):
    response = lms.launch("http://testserver/lti/launch/", deep_link=True)
    assert response.status_code == 302
    assert response["Location"] == reverse("lti:deep-link")
    return lms.client.post(reverse("lti:deep-link"), {"items": items})


def test_the_picker_lists_lessons_and_case_studies_as_a_plain_form(lms, course):
    lms.launch("http://testserver/lti/launch/", deep_link=True)

    page = lms.client.get(reverse("lti:deep-link"))

    assert page.status_code == 200
    assert page.content.count(b'type="checkbox"') == (
        course.lessons.current().count() + course.assignments.count()
    )
    assert b"<script" not in page.content.split(b"<main")[1].split(b"</main>")[0]


def test_the_answer_is_a_signed_deep_linking_response_with_line_items(lms, course):
    lesson = course.lessons.current().in_order().first()
    assignment = course.assignments.first()

    response = pick(lms, course, [f"lesson:{lesson.slug}", f"assignment:{assignment.slug}"])

    assert response.status_code == 200
    html = response.content.decode()
    assert f'action="{lms.platform.url("/deep_link_return")}"' in html
    token = re.search(r'name="JWT" value="([^"]+)"', html).group(1)
    message = lms.platform.verify_tool_jwt(token, audience=lms.platform.issuer)
    assert message["iss"] == lms.platform.client_id
    assert message["https://purl.imsglobal.org/spec/lti/claim/message_type"] == (
        "LtiDeepLinkingResponse"
    )
    assert message["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == (
        lms.platform.deployment_id
    )
    assert message["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-data-123"
    lesson_item, assignment_item = message[CONTENT_ITEMS]
    assert lesson_item["type"] == "ltiResourceLink"
    assert lesson_item["url"].endswith(f"/lessons/{lesson.slug}/")
    assert "lineItem" not in lesson_item
    assert assignment_item["lineItem"] == {
        "scoreMaximum": float(assignment.points_possible),
        "label": assignment.title,
        "resourceId": f"assignment:{assignment.slug}",
        "tag": "case-study",
    }
    assert b"Return to your course" in response.content  # works without JavaScript


def test_picking_nothing_shows_a_field_error(lms, course):
    response = pick(lms, course, [])

    assert response.status_code == 200
    assert b"Choose at least one activity." in response.content


def test_a_learner_cannot_deep_link(lms, course):
    response = lms.launch(
        "http://testserver/lti/launch/", deep_link=True, roles=(ROLE_LEARNER,), sub="learner-1"
    )

    assert response.status_code in (302, 400, 403)
    if response.status_code == 302:
        assert "lti_errormsg=" in response["Location"]
    assert lms.client.get(reverse("lti:deep-link")).status_code == 403


def test_the_picker_needs_a_deep_linking_launch(admin_client):
    assert admin_client.get(reverse("lti:deep-link")).status_code == 403


def test_the_answer_page_lets_the_browser_post_to_the_platform(lms, course):
    lesson = course.lessons.current().in_order().first()

    response = pick(lms, course, [f"lesson:{lesson.slug}"])

    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert lms.platform.issuer in policy["form-action"]

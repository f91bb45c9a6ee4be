"""Launches: sign-in by (issuer, subject), the context as a cohort, roles, the target."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import LtiIdentity
from courseware.models import Cohort, Enrollment, FrameAncestor

from .conftest import assignment_url, lesson_url
from .platform import ROLE_INSTRUCTOR

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_learner_launch_lands_signed_in_on_the_linked_lesson(lms, course):
    target = (
        lesson_url(course, "introduction")
        if course.lessons.filter(slug="introduction").exists()
        else lesson_url(course)
    )

    response = lms.launch(target)

    assert response.status_code == 302
    assert response["Location"] == target.removeprefix("http://testserver")
    page = lms.client.get(response["Location"])
    assert page.status_code == 200
    assert b"Ada Learner" in page.content or b"Sign out" in page.content
    identity = LtiIdentity.objects.get(subject="learner-1")
    assert identity.issuer == lms.platform.issuer
    assert identity.user.display_name == "Ada Learner"
    assert identity.user.email == "learner-1@platform.example"


def test_first_launch_makes_the_lms_course_a_cohort_and_enrolls_the_learner(lms, course):
    lms.launch(lesson_url(course))

    cohort = Cohort.objects.get(lti_context__id_on_platform="course-101")
    assert cohort.course == course
    assert cohort.name == "Military Diplomacy"
    enrollment = Enrollment.objects.get(learner__lti_identities__subject="learner-1")
    assert enrollment.cohort == cohort
    assert enrollment.source == Enrollment.Source.LTI


def test_the_same_subject_signs_into_the_same_account_with_updated_name(lms, course):
    lms.launch(lesson_url(course))
    lms.client.logout()

    lms.launch(lesson_url(course), overrides={"name": "Ada L. Lovelace"})

    assert LtiIdentity.objects.count() == 1
    assert LtiIdentity.objects.get().user.display_name == "Ada L. Lovelace"
    assert Cohort.objects.filter(lti_context__isnull=False).count() == 1


def test_an_existing_account_is_never_claimed_by_email_alone(lms, course):
    existing = User.objects.create_user(email="learner-1@platform.example", password="secret-pw-1")

    lms.launch(lesson_url(course))

    identity = LtiIdentity.objects.get(subject="learner-1")
    assert identity.user != existing
    assert identity.user.email.endswith("@lti.invalid")
    assert not identity.user.has_usable_password()


def test_instructor_launch_makes_an_instructor_of_the_cohort(lms, course):
    lms.launch(lesson_url(course), sub="teacher-1", roles=[ROLE_INSTRUCTOR])

    teacher = LtiIdentity.objects.get(subject="teacher-1").user
    cohort = Cohort.objects.get(lti_context__isnull=False)
    assert teacher in cohort.instructors.all()
    assert teacher.is_staff and teacher.groups.filter(name="Instructors").exists()
    assert not Enrollment.objects.filter(learner=teacher).exists()
    assert lms.client.get(reverse("admin:index")).status_code == 200


def test_an_institution_administrator_launching_as_learner_stays_a_learner(lms, course):
    roles = [
        "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
    ]
    lms.launch(lesson_url(course), roles=roles)

    user = LtiIdentity.objects.get(subject="learner-1").user
    assert not user.is_staff
    assert Enrollment.objects.filter(learner=user).exists()


def test_launch_to_an_assignment_opens_the_assignment(lms, course):
    assignment = course.assignments.first()
    target = assignment_url(course, assignment.slug)

    response = lms.launch(target)

    assert response["Location"] == target.removeprefix("http://testserver")
    assert lms.client.get(response["Location"]).status_code == 200


def test_custom_parameter_chooses_the_lesson(lms, course):
    lesson = course.lessons.current().in_order()[2]
    custom = {"https://purl.imsglobal.org/spec/lti/claim/custom": {"lesson": lesson.slug}}

    response = lms.launch("http://testserver/lti/launch/", overrides=custom)

    assert response["Location"] == lesson_url(course, lesson.slug).removeprefix("http://testserver")


def test_a_target_on_another_host_is_refused_at_login(lms, course):
    response = lms.client.get(
        reverse("lti:login"),
        {
            "iss": lms.platform.issuer,
            "login_hint": "x",
            "target_link_uri": "https://evil.example/steal",
            "client_id": lms.platform.client_id,
        },
    )

    assert response.status_code == 400


def test_launch_records_the_platform_site_as_allowed_frame_ancestor(lms, course):
    lms.launch(lesson_url(course))

    assert FrameAncestor.objects.filter(origin=lms.platform.issuer).exists()
    page = lms.client.get(reverse("courseware:catalog"))
    assert lms.platform.issuer in page["Content-Security-Policy"]
    assert "X-Frame-Options" not in page


def test_cookies_are_partitioned_for_frames_on_https(lms, course, settings):
    settings.SECURE_SSL_REDIRECT = False
    auth = lms.login(lesson_url(course).replace("http://", "https://"))
    token = lms.platform.id_token(nonce=auth["nonce"], target_link_uri=lesson_url(course))

    response = lms.client.post(
        "/lti/launch/", {"id_token": token, "state": auth["state"]}, secure=True
    )

    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME].output()
    assert "SameSite=None" in cookie and "Secure" in cookie and "Partitioned" in cookie


def test_login_from_an_unknown_platform_is_refused_without_writing(client, registered, course):
    from courseware.models import LtiLogin

    response = client.get(
        reverse("lti:login"),
        {
            "iss": "https://unknown.example",
            "login_hint": "x",
            "target_link_uri": lesson_url(course),
        },
    )

    assert response.status_code == 403
    assert not LtiLogin.objects.exists()

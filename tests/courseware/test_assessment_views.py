"""Knowledge checks, case-study assignments, grades and attachments, through HTTP."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from accounts import roles
from accounts.services import ensure_user
from courseware.models import (
    Assignment,
    AssignmentSchedule,
    CheckAttempt,
    Enrollment,
    Grade,
    Lesson,
    Question,
    RubricCriterion,
    Submission,
)
from courseware.services import (
    grade_submission,
    release_grades,
    save_draft,
    submit_check,
    submit_work,
)

from ..factories import CohortFactory, EnrollmentFactory, UserFactory

# Two attempts, 10% off per day late capped at 50%, closed 7 days after the due date.
CASE_STUDY = "us-south-korea-partnership"
# The preview lesson, open to visitors, with three questions.
INTRODUCTION = "introduction"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def cohort(course):
    return course.cohorts.get(is_default=True)


@pytest.fixture
def assignment(course):
    return Assignment.objects.get(course=course, slug=CASE_STUDY)


@pytest.fixture
def enrollment(enrolled_learner):
    return Enrollment.objects.get(learner=enrolled_learner)


@pytest.fixture
def lesson(course):
    return Lesson.objects.get(course=course, slug=INTRODUCTION)


@pytest.fixture
def learner_client(client, enrolled_learner):
    client.force_login(enrolled_learner)
    return client


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def other_instructor(course):
    """An instructor who teaches another cohort of the course."""
    user, _ = ensure_user(
        email="elsewhere@example.org",
        password="pw",
        display_name="Ellis Elsewhere",
        role=roles.INSTRUCTORS,
    )
    CohortFactory(course=course, is_default=False).instructors.add(user)
    return user


def lesson_url(lesson):
    return lesson.get_absolute_url()


def check_url(lesson):
    return reverse(
        "courseware:lesson-check",
        kwargs={"course_slug": lesson.course.slug, "lesson_slug": lesson.slug},
    )


def grades_url(course):
    return reverse("courseware:grades", kwargs={"course_slug": course.slug})


def attachment_url(submission):
    return reverse("courseware:submission-attachment", args=[submission.pk])


def login_redirect(url):
    return f"{reverse('login')}?next={url}"


def set_due(assignment, cohort, due_at):
    AssignmentSchedule.objects.update_or_create(
        assignment=assignment, cohort=cohort, defaults={"due_at": due_at}
    )


def questions_of(lesson):
    return list(Question.objects.filter(lesson=lesson).prefetch_related("choices"))


def answers(lesson, *, right):
    """Return chosen choice ids by question: every question right, or every one wrong."""
    chosen = {}
    for question in questions_of(lesson):
        ids = sorted(c.pk for c in question.choices.all() if c.is_correct == right)
        chosen[question.pk] = set(ids if right else ids[:1])
    return chosen


def check_data(lesson, *, right):
    """Return the knowledge-check form's POST data for those answers."""
    return {f"question_{pk}": sorted(ids) for pk, ids in answers(lesson, right=right).items()}


def submission_data(body, *, action="save", attempt=1, **extra):
    return {"body": body, "action": action, "attempt": attempt, **extra}


def hand_in(assignment, enrollment, body="My analysis of the alliance.", **kwargs):
    return submit_work(assignment=assignment, enrollment=enrollment, body=body, attempt=1, **kwargs)


def grade(submission, grader, *, feedback="Well argued.", comment="Define soft power earlier."):
    criteria = RubricCriterion.objects.filter(assignment=submission.assignment_id)
    return grade_submission(
        submission=submission,
        grader=grader,
        levels={c.pk: c.levels.get(title="Proficient").pk for c in criteria},
        comments={criteria[0].pk: comment},
        feedback=feedback,
    )


# Knowledge check on the lesson page


def test_the_lesson_page_shows_a_fieldset_with_a_legend_per_question(learner_client, lesson):
    response = learner_client.get(lesson_url(lesson))
    legends = re.findall(
        r'<fieldset class="question">\s*<legend>(.*?)</legend>', response.content.decode(), re.S
    )
    expected = [f"{n}. {escape(q.prompt)}" for n, q in enumerate(questions_of(lesson), start=1)]
    assert [legend.split(" <span")[0] for legend in legends] == expected


def test_each_choice_is_offered_under_its_question(learner_client, lesson):
    response = learner_client.get(lesson_url(lesson))
    for question in questions_of(lesson):
        for choice in question.choices.all():
            assertContains(response, f'name="question_{question.pk}" value="{choice.pk}"')


def test_posting_answers_redirects_to_the_results_of_that_attempt(learner_client, lesson):
    response = learner_client.post(check_url(lesson), check_data(lesson, right=False))
    attempt = CheckAttempt.objects.get()
    assertRedirects(
        response,
        f"{lesson_url(lesson)}?attempt={attempt.pk}#knowledge-check",
        fetch_redirect_response=False,
    )


def test_wrong_answers_show_not_quite_with_the_correct_answers_and_explanations(
    learner_client, lesson
):
    response = learner_client.post(check_url(lesson), check_data(lesson, right=False), follow=True)
    assertContains(response, "You answered 0 of 3 right (0%).")
    assertContains(response, "Not quite", count=3)
    for question in questions_of(lesson):
        assertContains(response, escape(question.explanation))
        for choice in question.choices.all():
            if choice.is_correct:
                assertContains(
                    response,
                    f'<li class="is-correct">{escape(choice.text)}'
                    ' <span class="tag tag--correct">correct answer</span></li>',
                    html=True,
                )


def test_right_answers_show_full_marks_and_the_best_score(learner_client, lesson):
    learner_client.post(check_url(lesson), check_data(lesson, right=False))
    response = learner_client.post(check_url(lesson), check_data(lesson, right=True), follow=True)
    assertContains(response, "You answered 3 of 3 right (100%).")
    assertContains(response, "Best score so far: <strong>100%</strong> over 2 attempts.")
    assertNotContains(response, "Not quite")


def test_a_missing_answer_is_a_400_with_an_error_on_that_question(learner_client, lesson):
    data = check_data(lesson, right=True)
    skipped = questions_of(lesson)[1]
    del data[f"question_{skipped.pk}"]
    response = learner_client.post(check_url(lesson), data)
    assert response.status_code == 400
    assertContains(
        response,
        f'<p class="field__errors" id="id_question_{skipped.pk}_errors">'
        "Choose an answer to this question.</p>",
        html=True,
        status_code=400,
    )
    assertContains(response, "Check my answers", status_code=400)
    assertContains(response, lesson.title, status_code=400)
    assert not CheckAttempt.objects.exists()


def test_a_learner_cannot_see_the_results_of_another_learners_attempt(
    learner_client, lesson, other_learner
):
    attempt = submit_check(
        learner=other_learner, lesson=lesson, answers=answers(lesson, right=False)
    )
    response = learner_client.get(f"{lesson_url(lesson)}?attempt={attempt.pk}")
    assertNotContains(response, "You answered")


def test_anonymous_visitors_are_invited_to_enroll_to_answer(client, course, lesson):
    response = client.get(lesson_url(lesson))
    assertContains(response, "Enroll in the course to answer 3 questions on this lesson.")
    assertNotContains(response, "Check my answers")


# The assignment page


def test_the_assignment_page_shows_the_prompt_and_rubric(learner_client, assignment):
    response = learner_client.get(assignment.get_absolute_url())
    assertContains(response, f"<h1>{escape(assignment.title)}</h1>", html=True)
    assertContains(response, assignment.prompt_html)
    for criterion in RubricCriterion.objects.filter(assignment=assignment):
        assertContains(response, f"<h3>{escape(criterion.title)}</h3>", html=True)
        for level in criterion.levels.all():
            assertContains(response, f"{level.title} · {level.points.normalize():f} pts")


def test_the_due_date_is_shown_in_the_learners_time_zone(
    learner_client, enrolled_learner, assignment, cohort
):
    enrolled_learner.timezone = "Asia/Tokyo"
    enrolled_learner.save()
    set_due(assignment, cohort, datetime(2030, 3, 1, 14, 59, tzinfo=UTC))
    response = learner_client.get(assignment.get_absolute_url())
    assertContains(
        response,
        '<time datetime="2030-03-01T23:59:00+09:00">Friday 1 March 2030, 23:59</time>',
        html=True,
    )
    assertContains(response, "(Asia/Tokyo)")


def test_saving_a_draft_without_javascript_keeps_the_text_after_reload(learner_client, assignment):
    url = assignment.get_absolute_url()
    response = learner_client.post(url, submission_data("Joint exercises build trust."))
    assertRedirects(response, url, fetch_redirect_response=False)
    response = learner_client.get(url)
    assert re.search(r"<textarea[^>]*>\s*Joint exercises build trust\.</textarea>", response.text)
    assertContains(response, "Draft saved.")


def test_autosave_answers_with_json_giving_the_word_count(learner_client, assignment):
    response = learner_client.post(
        assignment.get_absolute_url(),
        submission_data("Joint exercises build trust."),
        headers={"X-Autosave": "1"},
    )
    assert response.status_code == 200
    assert response.json()["word_count"] == 4
    assert Submission.objects.get().body == "Joint exercises build trust."


def test_submitting_without_the_confirm_box_shows_an_error_and_submits_nothing(
    learner_client, assignment
):
    response = learner_client.post(
        assignment.get_absolute_url(), submission_data("Final answer.", action="submit")
    )
    assertContains(response, "Tick this box to confirm that you want to submit.", status_code=400)
    assert not Submission.objects.handed_in().exists()


def test_submitting_with_the_confirm_box_shows_the_attempt_submitted(learner_client, assignment):
    response = learner_client.post(
        assignment.get_absolute_url(),
        submission_data("Final answer.", action="submit", confirm="on"),
        follow=True,
    )
    assertContains(response, "Attempt 1 submitted.")
    assertContains(response, "Attempt 1: <strong>submitted</strong>")
    assert Submission.objects.get().status == Submission.Status.SUBMITTED


def test_a_double_click_on_submit_hands_in_one_attempt(learner_client, assignment):
    url = assignment.get_absolute_url()
    data = submission_data("Final answer.", action="submit", confirm="on")
    learner_client.post(url, data)
    learner_client.post(url, data)
    assert Submission.objects.count() == 1


def test_a_late_submission_shows_the_penalty(learner_client, assignment, cohort):
    set_due(assignment, cohort, timezone.now() - timedelta(hours=30))
    response = learner_client.post(
        assignment.get_absolute_url(),
        submission_data("Final answer.", action="submit", confirm="on"),
        follow=True,
    )
    assertContains(response, "It is 2 day(s) late: a 20.00% penalty applies.")
    assertContains(response, "2 days late · −20%")


def test_after_the_due_date_the_form_warns_that_work_will_be_late(
    learner_client, assignment, cohort
):
    set_due(assignment, cohort, timezone.now() - timedelta(hours=1))
    response = learner_client.get(assignment.get_absolute_url())
    assertContains(response, "The due date has passed: this submission will be marked late.")


def test_after_the_hard_cutoff_the_form_is_gone(learner_client, assignment, cohort):
    set_due(assignment, cohort, timezone.now() - timedelta(days=8))
    response = learner_client.get(assignment.get_absolute_url())
    assertContains(response, "Submissions closed at the hard cutoff.")
    assertNotContains(response, 'name="body"')
    assertNotContains(response, 'value="submit"')


def test_after_the_hard_cutoff_a_submit_is_refused_and_nothing_is_saved(
    learner_client, assignment, cohort
):
    set_due(assignment, cohort, timezone.now() - timedelta(days=8))
    response = learner_client.post(
        assignment.get_absolute_url(),
        submission_data("Too late.", action="submit", confirm="on"),
    )
    assertContains(response, "Submissions closed at the hard cutoff.", status_code=400)
    assert not Submission.objects.exists()


def test_staff_previewing_an_assignment_cannot_save_work_by_posting(client, instructor, assignment):
    client.force_login(instructor)
    response = client.post(assignment.get_absolute_url(), submission_data("Preview text."))
    assertContains(response, "Staff preview: learners write and submit their answer here.")
    assert not Submission.objects.exists()


# Grades: hidden until released


@pytest.fixture
def graded(assignment, enrollment, instructor):
    return grade(
        hand_in(assignment, enrollment),
        instructor,
        feedback="Strong use of the alliance record.",
        comment="Define soft power before using it.",
    )


def test_an_unreleased_grade_is_hidden_on_the_assignment_page(learner_client, assignment, graded):
    response = learner_client.get(assignment.get_absolute_url())
    assertNotContains(response, "Your grade")
    assertNotContains(response, "Strong use of the alliance record.")
    assertNotContains(response, "Define soft power before using it.")
    assertContains(response, "Attempt 1: <strong>submitted</strong>")


def test_an_unreleased_grade_is_hidden_on_the_grades_page(learner_client, course, graded):
    response = learner_client.get(grades_url(course))
    assertContains(response, "Submitted, awaiting grade")
    assertNotContains(response, "74 / 100")


def test_a_released_grade_shows_score_levels_comments_and_feedback(
    learner_client, assignment, graded, instructor
):
    release_grades(grades=Grade.objects.all(), released_by=instructor)
    response = learner_client.get(assignment.get_absolute_url())
    assertContains(response, "Your grade: 74 / 100")
    assertContains(
        response,
        '<tr><th scope="row">Conceptual grounding</th><td>Proficient</td><td>19.00 / 25.00</td>'
        "<td>Define soft power before using it.</td></tr>",
        html=True,
    )
    assertContains(response, "<p>Strong use of the alliance record.</p>", html=True)
    assertContains(response, "Attempt 1: <strong>graded</strong>")


def test_a_released_grade_shows_its_score_on_the_grades_page(
    learner_client, course, graded, instructor
):
    release_grades(grades=Grade.objects.all(), released_by=instructor)
    response = learner_client.get(grades_url(course))
    assertContains(response, "74 / 100")
    assertNotContains(response, "Submitted, awaiting grade")


def test_knowledge_check_best_scores_appear_on_the_grades_page(
    learner_client, enrolled_learner, course, lesson
):
    submit_check(learner=enrolled_learner, lesson=lesson, answers=answers(lesson, right=True))
    submit_check(learner=enrolled_learner, lesson=lesson, answers=answers(lesson, right=False))
    response = learner_client.get(grades_url(course))
    assertContains(
        response,
        f'<tr><th scope="row"><a href="{lesson_url(lesson)}#knowledge-check">{lesson.title}</a>'
        "</th><td>100%</td></tr>",
        html=True,
    )


# Attachments


@pytest.fixture
def with_attachment(assignment, enrollment, media):
    return hand_in(
        assignment, enrollment, attachment=SimpleUploadedFile("My essay.pdf", PDF, "image/png")
    )


def test_the_owner_downloads_the_attachment_as_a_file(learner_client, with_attachment):
    response = learner_client.get(attachment_url(with_attachment))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="My essay.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_another_learner_gets_404_for_an_attachment(client, other_learner, with_attachment):
    client.force_login(other_learner)
    response = client.get(attachment_url(with_attachment))
    assert response.status_code == 404


def test_the_cohorts_instructor_downloads_the_attachment(
    client, instructor, cohort, with_attachment
):
    cohort.instructors.add(instructor)
    client.force_login(instructor)
    response = client.get(attachment_url(with_attachment))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    response.close()


def test_an_instructor_of_another_cohort_gets_404_for_an_attachment(
    client, other_instructor, with_attachment
):
    client.force_login(other_instructor)
    response = client.get(attachment_url(with_attachment))
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in_for_an_attachment(client, with_attachment):
    url = attachment_url(with_attachment)
    response = client.get(url)
    assertRedirects(response, login_redirect(url), fetch_redirect_response=False)


@pytest.fixture
def draft_with_attachment(assignment, enrollment, media):
    return save_draft(
        assignment=assignment,
        enrollment=enrollment,
        body="Still writing.",
        attachment=SimpleUploadedFile("Draft.pdf", PDF),
    )


def test_the_owner_downloads_the_attachment_of_their_draft(learner_client, draft_with_attachment):
    response = learner_client.get(attachment_url(draft_with_attachment))
    assert response.status_code == 200
    response.close()


def test_an_instructor_gets_404_for_the_attachment_of_a_draft(
    client, instructor, cohort, draft_with_attachment
):
    """A draft is the learner's own until handed in, as in the grading queue."""
    cohort.instructors.add(instructor)
    client.force_login(instructor)
    response = client.get(attachment_url(draft_with_attachment))
    assert response.status_code == 404
    if hasattr(response, "streaming_content"):
        response.close()


def test_staff_enrolled_as_a_learner_download_their_own_attachment(
    client, cohort, assignment, other_instructor, media
):
    """An instructor taking the course in a cohort they do not teach still owns their work."""
    enrollment = EnrollmentFactory(learner=other_instructor, cohort=cohort)
    submission = hand_in(assignment, enrollment, attachment=SimpleUploadedFile("Mine.pdf", PDF))
    client.force_login(other_instructor)
    response = client.get(attachment_url(submission))
    assert response.status_code == 200
    response.close()


def test_a_submission_without_attachment_gets_404(learner_client, assignment, enrollment):
    response = learner_client.get(attachment_url(hand_in(assignment, enrollment)))
    assert response.status_code == 404


# Who may use which assessment URL

ROLES = (
    "anonymous",
    "learner",
    "other_cohort_learner",
    "cohort_instructor",
    "other_cohort_instructor",
    "staff_superuser",
)
# An HTTP status, or where the response redirects: "login" (sign in first), "course" (the
# course page, with a message to enroll), "same" (back to the page, after saving).
# fmt: off
PERMISSIONS = {
    #                            anonymous learner other-cohort instructor other-instr superuser
    "lesson-check POST":         ("login", 400,    400,         "course",  "course",   "course"),
    "assignment-detail GET":     (403,     200,    200,         200,       200,        200),
    "assignment-detail POST":    (403,     "same", "same",      200,       200,        200),
    "grades GET":                ("login", 200,    200,         "course",  "course",   "course"),
    "submission-attachment GET": ("login", 200,    404,         200,       404,        200),
}
# fmt: on


@pytest.fixture
def people(course, cohort, enrolled_learner, instructor, other_instructor):
    cohort.instructors.add(instructor)
    other_cohort = other_instructor.taught_cohorts.get()
    return {
        "anonymous": None,
        "learner": enrolled_learner,
        "other_cohort_learner": EnrollmentFactory(cohort=other_cohort).learner,
        "cohort_instructor": instructor,
        "other_cohort_instructor": other_instructor,
        "staff_superuser": UserFactory(is_staff=True, is_superuser=True),
    }


def endpoint(name, *, course, lesson, assignment, submission):
    """Return the method, URL and data for one learner-facing assessment URL."""
    # An empty check (400 for learners) and a draft for the learner's next attempt.
    return {
        "lesson-check POST": ("post", check_url(lesson), {}),
        "assignment-detail GET": ("get", assignment.get_absolute_url(), None),
        "assignment-detail POST": (
            "post",
            assignment.get_absolute_url(),
            submission_data("A draft.", attempt=2),
        ),
        "grades GET": ("get", grades_url(course), None),
        "submission-attachment GET": ("get", attachment_url(submission), None),
    }[name]


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [
        pytest.param(name, role, expected, id=f"{name}-{role}")
        for name, outcomes in PERMISSIONS.items()
        for role, expected in zip(ROLES, outcomes, strict=True)
    ],
)
def test_assessment_urls_answer_each_role_as_the_table_says(
    client, people, course, lesson, assignment, with_attachment, name, role, expected
):
    method, url, data = endpoint(
        name, course=course, lesson=lesson, assignment=assignment, submission=with_attachment
    )
    if people[role]:
        client.force_login(people[role])
    response = getattr(client, method)(url, data) if data is not None else client.get(url)
    if isinstance(expected, int):
        assert response.status_code == expected
    else:
        redirect_to = {
            "login": login_redirect(url),
            "course": course.get_absolute_url(),
            "same": url,
        }[expected]
        assertRedirects(response, redirect_to, fetch_redirect_response=False)
    if hasattr(response, "streaming_content"):
        response.close()


# Untrusted text is escaped

SCRIPT = '<script>alert("xss")</script>'
JAVASCRIPT_LINK = '<a href="javascript:alert(1)">read more</a>'


def test_submission_text_is_escaped_on_the_assignment_page(learner_client, assignment):
    learner_client.post(
        assignment.get_absolute_url(), submission_data(f"{SCRIPT} {JAVASCRIPT_LINK}")
    )
    response = learner_client.get(assignment.get_absolute_url())
    assertContains(response, escape(SCRIPT))
    assertNotContains(response, SCRIPT)
    assertNotContains(response, 'href="javascript:')


def test_grade_feedback_and_comments_are_escaped_on_the_assignment_page(
    learner_client, assignment, enrollment, instructor
):
    grade(
        hand_in(assignment, enrollment),
        instructor,
        feedback=f"Feedback {SCRIPT} {JAVASCRIPT_LINK}",
        comment=f"Comment {SCRIPT} {JAVASCRIPT_LINK}",
    )
    release_grades(grades=Grade.objects.all(), released_by=instructor)
    response = learner_client.get(assignment.get_absolute_url())
    assertContains(response, f"Feedback {escape(SCRIPT)}")
    assertContains(response, f"Comment {escape(SCRIPT)}")
    assertNotContains(response, SCRIPT)
    assertNotContains(response, 'href="javascript:')


def test_an_attachment_name_cannot_inject_markup(learner_client, assignment, enrollment, media):
    save_draft(
        assignment=assignment,
        enrollment=enrollment,
        body="See the file.",
        attachment=SimpleUploadedFile('"><img src=x onerror=alert(1)>.pdf', PDF),
    )
    response = learner_client.get(assignment.get_absolute_url())
    assertContains(response, "Attached:")
    assertNotContains(response, "<img src=x")

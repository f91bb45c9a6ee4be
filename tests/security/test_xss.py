"""Hostile text from learners, instructors and LMSs stays inert on every page that shows it.

Each payload goes in through the input its author really uses (a form, a service, the API,
an import, an LTI launch) and every page that shows it is parsed with the standard library's
HTML parser. A page passes when it has nothing executable that the input could have made (an
event-handler attribute, a javascript:, vbscript: or data: URL, an embedding element, an
inline script or style carrying it) *and* the input is still there to read: as escaped
text, or as exactly the text the Markdown sanitizer leaves of it. A page that simply does
not show the input fails, so no check passes by accident.
"""

import csv
import io
import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import user_for_lti_subject
from courseware import documents
from courseware.importing import import_course
from courseware.models import (
    Assignment,
    AssignmentSchedule,
    Choice,
    Cohort,
    Enrollment,
    Lesson,
    Submission,
)
from courseware.rendering import html_to_text, render_markdown
from courseware.services import (
    enroll_learner,
    grade_submission,
    notifications,
    submit_check,
    submit_work,
)

from ..api.conftest import connect_new
from ..factories import (
    AssignmentFactory,
    CohortFactory,
    QuestionFactory,
    RubricCriterionFactory,
    RubricLevelFactory,
    UserFactory,
)
from ..lti.conftest import Browser, lesson_url, register_dynamically
from ..lti.platform import CONTEXT, DL_SETTINGS, LTI, Platform

PASSWORD = "plum-Vortex-97-quill"

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "'><script>alert(1)</script>",
    "' onmouseover='alert(1)",
    '" autofocus onfocus="alert(1)',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "javascript:alert(1)",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<style>*{background:url(javascript:alert(1))}</style>",
    '<div style="width:expression(alert(1))">x</div>',
    "{{7*7}} {% debug %} ${7*7}",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<object data="data:text/html,alert(1)"></object>',
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
]

# Payloads that end a quoted attribute, an element or a raw-text element: what matters where
# typed text comes back inside a form field or a page title. Pages that show one item and
# take a quarter of a second to render (a time-zone list, the admin's permission picker, the
# grading page) get these; list pages and the item's main page get every payload.
BREAKOUTS = [
    '"><svg onload=alert(1)>',
    "'><script>alert(1)</script>",
    "' onmouseover='alert(1)",
    '" autofocus onfocus="alert(1)',
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
]

# Where a value can carry a URL the browser follows or loads.
URL_ATTRIBUTES = {
    "action", "background", "cite", "codebase", "data", "dynsrc", "formaction", "href",
    "longdesc", "lowsrc", "manifest", "ping", "poster", "src", "srcset", "xlink:href",
}  # fmt: skip
EMBEDDING_TAGS = {"applet", "base", "embed", "frame", "frameset", "iframe", "object", "portal"}
SCRIPT_TYPES = {"", "text/javascript", "application/javascript", "module", "text/ecmascript"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
# Browsers drop tabs and newlines anywhere in a URL and control characters around it: drop
# every control character and space before looking at the scheme, to err on the safe side.
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]+")


def _squash(value: str) -> str:
    return " ".join(value.split())


class Page(HTMLParser):
    """A page as the browser's tokenizer sees it: elements, script and style bodies, text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str]]]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.styles: list[str] = []
        self._text: list[str] = []
        self._raw: tuple[str, dict, list[str]] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = [(name, value or "") for name, value in attrs]
        self.elements.append((tag, attrs))
        if tag in ("script", "style"):
            self._raw = (tag, dict(attrs), [])
        self._text.append(" ")

    def handle_endtag(self, tag):
        if self._raw and tag == self._raw[0]:
            name, attrs, parts = self._raw
            if name == "script":
                self.scripts.append((attrs, "".join(parts)))
            else:
                self.styles.append("".join(parts))
            self._raw = None
        self._text.append(" ")

    def handle_data(self, data):
        if self._raw:
            self._raw[2].append(data)
        else:
            self._text.append(data)

    @property
    def text(self) -> str:
        """The visible text, one space wherever a tag was (as html_to_text does)."""
        return _squash("".join(self._text))

    def attribute_values(self) -> set[str]:
        return {_squash(value) for _, attrs in self.elements for _, value in attrs}

    def problems(self) -> list[str]:
        """Return everything on the page a hostile input could use to run code."""
        found = []
        for tag, attrs in self.elements:
            if tag in EMBEDDING_TAGS:
                found.append(f"<{tag}> element {attrs}")
            for name, value in attrs:
                url = _IGNORED_IN_URLS.sub("", value).lower()
                if name.startswith("on"):
                    found.append(f"event handler {name}={value!r} on <{tag}>")
                elif name in URL_ATTRIBUTES and url.startswith(DANGEROUS_SCHEMES):
                    found.append(f"{name}={value!r} on <{tag}>")
                elif name == "srcdoc":
                    found.append(f"srcdoc on <{tag}>")
                elif name == "style" and any(
                    word in url for word in ("expression(", "javascript:", "url(", "behavior:")
                ):
                    found.append(f"style={value!r} on <{tag}>")
                elif (
                    tag == "meta"
                    and name == "content"
                    and any(scheme in url for scheme in DANGEROUS_SCHEMES)
                ):
                    found.append(f"meta refresh {value!r}")
        for attrs, body in self.scripts:
            if attrs.get("type", "").strip().lower() not in SCRIPT_TYPES:
                continue  # data, such as json_script: not run
            src = attrs.get("src", "")
            if src and not (src.startswith("/") and not src.startswith("//")):
                found.append(f"<script src={src!r}>")
            if body.strip():
                found.append(f"inline <script>: {body.strip()[:120]!r}")
        for body in self.styles:
            lowered = _IGNORED_IN_URLS.sub("", body).lower()
            if any(word in lowered for word in ("expression(", "javascript:", "alert", "@import")):
                found.append(f"<style> block: {body.strip()[:120]!r}")
        return found


def markdown_text(source: str) -> str:
    """Return the text a reader sees of Markdown once rendered and sanitized."""
    return _squash(html_to_text(render_markdown(source)))


def assert_inert(html, *, shows=(), where="page"):
    """Fail unless the page has nothing executable and shows each text in `shows`.

    A text counts as shown when it is in the page's visible text or is the whole value of
    an attribute (a form field echoing what was typed).
    """
    if isinstance(html, bytes):
        html = html.decode()
    page = Page(html)
    report = [f"{where}: {problem}" for problem in page.problems()]
    values = page.attribute_values()
    for text in shows:
        expected = _squash(text)
        assert expected, f"{where}: an empty expectation proves nothing"
        if expected not in page.text and expected not in values:
            report.append(f"{where}: does not show {expected!r} as text")
    assert not report, "\n".join(report)


def assert_no_html_leaks_from(html, payloads, *, where="page"):
    """Fail if the page is not inert, or shows a payload's markup anywhere but as text."""
    assert_inert(html, where=where)
    raw = html.decode() if isinstance(html, bytes) else html
    leaked = [p for p in payloads if "<" in p and p in raw]
    assert not leaked, f"{where}: raw markup from input in the HTML: {leaked}"


def get_ok(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    return response


@pytest.fixture
def signed_in():
    """Return a function giving a test client signed in as a user.

    Clients are reused (one per staff member, one shared by learners): each new Client
    loads the middleware again, and WhiteNoise then scans every static file.
    """
    clients: dict = {}

    def sign_in(user) -> Client:
        slot = user.pk if user.is_staff else "learner"
        client = clients.setdefault(slot, Client())
        if client.session.get(SESSION_KEY) != str(user.pk):
            client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def admin_user(db):
    return UserFactory(email="root@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def cohort(course, instructor):
    cohort = course.cohorts.get(is_default=True)
    cohort.instructors.add(instructor)
    return cohort


@pytest.fixture
def assignment(course):
    return Assignment.objects.get(course=course, slug="us-south-korea-partnership")


def _enroll_and_submit(learner, cohort, assignment, body="My answer about soft power."):
    enrollment, _ = enroll_learner(learner=learner, course=cohort.course, cohort=cohort)
    return submit_work(assignment=assignment, enrollment=enrollment, body=body, attempt=1)


def _grading_url(submission):
    return reverse("admin:courseware_submission_grade", args=[submission.pk])


def _rubric_choice(assignment, level_title="Proficient"):
    return {
        criterion.pk: criterion.levels.get(title=level_title).pk
        for criterion in assignment.criteria.all()
    }


def test_payload_corpus_is_large_and_the_checker_catches_each_raw_payload():
    """Pasted into a page unescaped, each markup payload trips the checker or stops reading as
    its own text: the checks below would catch a page that forgot to escape it."""
    assert len(PAYLOADS) >= 30 and len(set(PAYLOADS)) == len(PAYLOADS)
    assert set(BREAKOUTS) <= set(PAYLOADS)
    executable = [p for p in PAYLOADS if "<" in p and "\uff1c" not in p and "&lt;" not in p]
    executable = [p for p in executable if "&#60;" not in p and p != "<javascript:alert(1)>"]
    for payload in executable:
        page = Page(f"<!doctype html><p>{payload}</p>")
        visible = page.text == _squash(payload) and not page.problems()
        assert not visible, f"the checker would miss {payload!r} pasted raw"


# Learners: their name


def test_names_chosen_at_sign_up_are_escaped_on_every_staff_page(
    client, course, cohort, assignment, instructor, admin_user, signed_in
):
    submissions = []
    for number, payload in enumerate(PAYLOADS):
        response = client.post(
            reverse("signup"),
            {
                "email": f"signup{number}@example.org",
                "display_name": payload,
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
        assert response.status_code == 302, response.content
        client.logout()
        learner = User.objects.get(email=f"signup{number}@example.org")
        assert learner.display_name == payload
        submissions.append(_enroll_and_submit(learner, cohort, assignment))

    teacher = signed_in(instructor)
    pages = {
        "grading queue": reverse("admin:courseware_submission_changelist"),
        "gradebook": reverse("admin:courseware_gradebook", args=[cohort.pk]),
        "enrollments": reverse("admin:courseware_enrollment_changelist"),
    }
    for where, url in pages.items():
        assert_inert(get_ok(teacher, url).content, shows=PAYLOADS, where=where)
    for submission, payload in zip(submissions, PAYLOADS, strict=True):
        if payload in BREAKOUTS:
            page = get_ok(teacher, _grading_url(submission)).content
            assert_inert(page, shows=[payload], where=f"grading page of {payload!r}")

    root = signed_in(admin_user)
    users = get_ok(root, reverse("admin:accounts_user_changelist")).content
    assert_inert(users, shows=PAYLOADS, where="user list")


def test_a_refused_sign_up_echoes_the_typed_name_escaped(client, db):
    for payload in PAYLOADS:
        response = client.post(
            reverse("signup"),
            {
                "email": "echo@example.org",
                "display_name": payload,
                "password1": PASSWORD,
                "password2": PASSWORD + "-typo",
            },
        )
        assert response.status_code == 200
        assert response.context["form"].errors
        assert_inert(response.content, shows=[payload], where=f"sign-up echo of {payload!r}")
    assert not User.objects.filter(email="echo@example.org").exists()


def test_names_saved_in_the_profile_are_escaped_on_the_profile_and_admin_pages(
    client, learner, admin_user, signed_in
):
    client.force_login(learner)
    root = signed_in(admin_user)
    for payload in BREAKOUTS:
        response = client.post(
            reverse("profile"), {"display_name": payload, "timezone": "Europe/Brussels"}
        )
        assert response.status_code == 302, response.content
        learner.refresh_from_db()
        assert learner.display_name == payload
        where = f"profile with {payload!r}"
        assert_inert(get_ok(client, reverse("profile")).content, shows=[payload], where=where)
        change = reverse("admin:accounts_user_change", args=[learner.pk])
        assert_inert(get_ok(root, change).content, shows=[payload], where=f"user change {where}")


def test_an_instructors_name_is_escaped_where_learners_and_graders_see_it(
    client, course, cohort, assignment, instructor, signed_in
):
    learner = UserFactory(display_name="Lee Learner")
    submission = _enroll_and_submit(learner, cohort, assignment)
    teacher = signed_in(instructor)
    for version, payload in enumerate(BREAKOUTS):
        response = teacher.post(
            reverse("profile"), {"display_name": payload, "timezone": "UTC"}, follow=False
        )
        assert response.status_code == 302
        instructor.refresh_from_db()
        grade_submission(
            submission=submission,
            grader=instructor,
            levels=_rubric_choice(assignment),
            expected_version=version,
        )
        page = get_ok(teacher, _grading_url(submission)).content
        assert_inert(page, shows=[payload], where=f"grading page graded by {payload!r}")
    history = reverse("admin:courseware_grade_history", args=[submission.grade.pk])
    assert_inert(get_ok(teacher, history).content, shows=[BREAKOUTS[-1]], where="grade history")


# Learners: their written work


def test_submission_text_is_inert_on_the_learners_page_and_the_grading_page(
    course, cohort, assignment, instructor, signed_in
):
    teacher = signed_in(instructor)
    url = assignment.get_absolute_url()
    for number, payload in enumerate(PAYLOADS):
        learner = UserFactory(email=f"writer{number}@example.org")
        enroll_learner(learner=learner, course=course, cohort=cohort)
        browser = signed_in(learner)
        saved = browser.post(url, {"body": payload, "action": "save", "attempt": "1"})
        assert saved.status_code == 302, saved.content
        where = f"draft {payload!r}"
        assert_inert(get_ok(browser, url).content, shows=[payload], where=where)
        sent = browser.post(
            url, {"body": payload, "action": "submit", "confirm": "on", "attempt": "1"}
        )
        assert sent.status_code == 302, sent.content
        submission = Submission.objects.get(learner=learner, assignment=assignment)
        assert submission.status == Submission.Status.SUBMITTED and submission.body == payload
        page = get_ok(teacher, _grading_url(submission)).content
        assert_inert(page, shows=[markdown_text(payload)], where=f"grading page of {where}")


def test_text_refused_at_the_hard_cutoff_is_shown_back_escaped(
    course, cohort, assignment, signed_in
):
    assignment.hard_cutoff_days = 0
    assignment.save()
    AssignmentSchedule.objects.update_or_create(
        assignment=assignment, cohort=cohort, defaults={"due_at": timezone.now() - timedelta(1)}
    )
    learner = UserFactory()
    enroll_learner(learner=learner, course=course, cohort=cohort)
    browser = signed_in(learner)
    for payload in PAYLOADS:
        response = browser.post(
            assignment.get_absolute_url(), {"body": payload, "action": "save", "attempt": "1"}
        )
        assert response.status_code == 400
        assert_inert(response.content, shows=[payload], where=f"unsaved text {payload!r}")


# Learners: what they type into search and join forms


def test_search_queries_are_echoed_escaped(client, course, learner):
    client.force_login(learner)
    url = reverse("courseware:search", args=[course.slug])
    for payload in PAYLOADS:
        response = get_ok(client, url, data={"q": payload})
        assert response.context["query"] == _squash(payload)
        assert_inert(response.content, shows=[payload], where=f"search for {payload!r}")


def test_a_join_code_that_matches_nothing_is_refused_without_echoing_it(client, course, learner):
    CohortFactory(
        course=course, is_default=False, join_policy=Cohort.JoinPolicy.CODE, join_code="OPEN-42"
    )
    client.force_login(learner)
    for payload in PAYLOADS:
        response = client.post(
            reverse("courseware:enroll", args=[course.slug]), {"join_code": payload}, follow=True
        )
        assert response.status_code == 200
        assert_inert(
            response.content,
            shows=["That join code does not match a cohort of this course."],
            where=f"join code {payload!r}",
        )
        assert_no_html_leaks_from(response.content, [payload], where=f"join code {payload!r}")
    assert not Enrollment.objects.filter(learner=learner).exists()


# Instructors: grading


def test_grader_feedback_and_comments_are_escaped_for_learner_grader_and_api(
    course, cohort, assignment, instructor, signed_in
):
    teacher = signed_in(instructor)
    api = connect_new(cohorts=[cohort])
    for number, payload in enumerate(PAYLOADS):
        learner = UserFactory(email=f"graded{number}@example.org")
        submission = _enroll_and_submit(learner, cohort, assignment)
        data = {"feedback": payload, "release": "on", "expected_version": 0, "_save": "Save"}
        for criterion_pk, level_pk in _rubric_choice(assignment).items():
            data[f"criterion_{criterion_pk}"] = level_pk
            data[f"comment_{criterion_pk}"] = payload
        response = teacher.post(_grading_url(submission), data)
        assert response.status_code == 302, response.content
        grade = Submission.objects.get(pk=submission.pk).grade
        assert grade.feedback == payload and grade.is_released
        assert {row["comment"] for row in grade.rubric} == {payload}

        where = f"feedback {payload!r}"
        learner_page = get_ok(signed_in(learner), assignment.get_absolute_url()).content
        assert_inert(learner_page, shows=[payload], where=f"learner's grade card, {where}")
        if payload in BREAKOUTS:
            assert_inert(
                get_ok(teacher, _grading_url(submission)).content,
                shows=[payload],
                where=f"grading page, {where}",
            )
        api_response = api.get(f"/api/v1/grades/{grade.pk}/")
        assert api_response.status_code == 200
        assert api_response["Content-Type"].startswith("application/json")
        body = api_response.json()
        assert body["feedback"] == payload
        assert {row["comment"] for row in body["rubric"]} == {payload}


def test_emails_show_names_as_typed_and_any_html_part_escapes_them(
    course, cohort, assignment, instructor
):
    for number, payload in enumerate(BREAKOUTS):
        learner = UserFactory(email=f"mail{number}@example.org", display_name=payload)
        cohort.name = payload
        cohort.save()
        submission = _enroll_and_submit(learner, cohort, assignment)
        grade = grade_submission(
            submission=submission,
            grader=instructor,
            levels=_rubric_choice(assignment),
            release=True,
        )
        mail.outbox.clear()
        notifications.submission_received(submission_id=submission.pk)
        notifications.grades_released(grade_ids=[grade.pk])
        assert len(mail.outbox) == 2
        for message in mail.outbox:
            parts = [(message.body, f"text/{message.content_subtype}")]
            parts += [
                (content, mimetype) for content, mimetype in getattr(message, "alternatives", [])
            ]
            for content, mimetype in parts:
                where = f"email {message.subject!r} ({mimetype})"
                if mimetype == "text/html":
                    assert_inert(content, shows=[payload], where=where)
                else:
                    assert payload in content, f"{where} lacks the name as typed"


# Instructors: the course document, assignments, checks, cohorts, rosters


def _plain_document(payloads):
    """A plain-text document: each payload inside a sentence, and in headings that fit."""
    lines = ["An introduction about soft power.", ""]
    for number, payload in enumerate(payloads):
        heading = f"Topic {number} {payload} notes"
        if not documents._is_plain_heading(heading):
            heading = f"Topic {number}"
        lines += [heading, "", f"Keyword{number}x before {payload} after.", ""]
        lines += [f"- item {payload} end.", ""]
    return "\n".join(lines)


def test_an_uploaded_plain_text_document_shows_every_payload_as_its_own_text(
    client, admin_user, instructor, signed_in
):
    client.force_login(admin_user)
    text = _plain_document(PAYLOADS)
    response = client.post(
        reverse("admin:courseware_course_import"),
        {
            "document": SimpleUploadedFile("course.txt", text.encode()),
            "title": "<script>alert('course')</script>",
        },
    )
    assert response.status_code == 302, response.content
    lessons = list(Lesson.objects.current().in_order().select_related("course"))
    course = lessons[0].course
    assert course.title == "<script>alert('course')</script>"

    visitor = signed_in(instructor)  # staff preview: every lesson opens
    outline = get_ok(visitor, course.get_absolute_url()).content
    headings = [lesson.title for lesson in lessons]
    assert_inert(outline, shows=[course.title, *headings], where="course page")
    for number, payload in enumerate(PAYLOADS):
        lesson = lessons[number + 1]
        page = get_ok(visitor, lesson.get_absolute_url()).content
        assert_inert(
            page,
            shows=[lesson.title, f"before {payload} after.", f"item {payload} end."],
            where=f"lesson with {payload!r}",
        )
        preview = get_ok(client, reverse("admin:courseware_lesson_change", args=[lesson.pk]))
        assert_inert(
            preview.content,
            shows=[f"before {payload} after.", lesson.body_source],
            where=f"admin lesson preview with {payload!r}",
        )


def _drawn_from(shown: str, source: str) -> bool:
    """Return whether every character shown appears in the source, in order."""
    remaining = iter("".join(source.split()))
    return all(char in remaining for char in "".join(shown.replace("…", "").split()))


def test_search_snippets_of_hostile_lesson_text_are_escaped(client, course, admin_user):
    import_course(document=documents.parse_document(_plain_document(PAYLOADS)), title=course.title)
    client.force_login(admin_user)
    url = reverse("courseware:search", args=[course.slug])
    for number, payload in enumerate(PAYLOADS):
        keyword = f"Keyword{number}x"
        response = get_ok(client, url, data={"q": keyword.lower()})
        hits = response.context["hits"]
        assert hits, f"no hit for {keyword}"
        snippet = str(hits[0].snippet)
        assert f"<mark>{keyword}</mark>" in snippet
        shown = _squash(html_to_text(snippet))
        if connection.vendor == "postgresql":
            # ts_headline leaves out what its parser reads as tags; the rest must be the
            # lesson's own text, in order, shown as text.
            assert _drawn_from(shown, hits[0].lesson.search_text), shown
        else:
            assert f"{keyword} before {payload} after." in shown
        assert_inert(response.content, shows=[shown], where=f"search snippet of {payload!r}")


def _markdown_document(payloads):
    lines = ["An introduction about soft power.", ""]
    for number, payload in enumerate(payloads):
        lines += [f"## Topic {number} {payload}", "", payload, "", f"- {payload}", ""]
    return "\n".join(lines)


@pytest.fixture
def markdown_course(db):
    report = import_course(
        document=documents.parse_document(_markdown_document(PAYLOADS), markdown=True),
        title="Markdown course",
    )
    return report.course


def test_an_imported_markdown_document_is_sanitized_on_lesson_pages(
    markdown_course, instructor, signed_in
):
    visitor = signed_in(instructor)
    lessons = list(Lesson.objects.current().filter(course=markdown_course).in_order())
    assert len(lessons) == len(PAYLOADS) + 1
    for number, (lesson, payload) in enumerate(zip(lessons[1:], PAYLOADS, strict=True)):
        assert lesson.title == f"Topic {number} {payload}"
        where = f"markdown lesson with {payload!r}"
        assert_inert(lesson.body_html, shows=[markdown_text(payload)], where=f"stored {where}")
        page = get_ok(visitor, lesson.get_absolute_url()).content
        assert_inert(page, shows=[lesson.title, markdown_text(payload)], where=where)


def test_lesson_html_returned_by_the_api_is_sanitized(markdown_course):
    cohort = markdown_course.cohorts.get()
    api = connect_new(cohorts=[cohort])
    rows, url = [], "/api/v1/lessons/?page_size=100"
    while url:
        response = api.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/json")
        rows += response.json()["results"]
        url = response.json()["next"]
    by_title = {row["title"]: row for row in rows}
    for number, payload in enumerate(PAYLOADS):
        row = by_title[f"Topic {number} {payload}"]
        assert_inert(
            row["body_html"], shows=[markdown_text(payload)], where=f"API body_html {payload!r}"
        )


def test_staff_browsing_the_api_see_hostile_text_escaped(markdown_course, admin_user, signed_in):
    root = signed_in(admin_user)
    response = get_ok(root, "/api/v1/lessons/?page_size=100", HTTP_ACCEPT="text/html")
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    # The browsable API shows the JSON as text: the titles appear JSON-encoded, escaped.
    titles = [
        json.dumps(f"Topic {n} {p}", ensure_ascii=False)[1:-1] for n, p in enumerate(PAYLOADS)
    ]
    assert_inert(content, shows=titles, where="browsable API")


def test_an_outline_naming_a_hostile_section_is_refused_with_the_name_escaped(client, admin_user):
    client.force_login(admin_user)
    for payload in PAYLOADS:
        outline = "\n".join(
            [
                'title = "Course"',
                "[[module]]",
                'title = "One"',
                "[[module.lesson]]",
                f"section = {json.dumps(payload)}",
            ]
        )
        response = client.post(
            reverse("admin:courseware_course_import"),
            {
                "document": SimpleUploadedFile("course.txt", b"Topic\n\nSome text."),
                "outline": SimpleUploadedFile("outline.toml", outline.encode()),
            },
        )
        assert response.status_code == 200
        assert_inert(response.content, shows=[repr(payload)], where=f"outline error {payload!r}")
    assert not Lesson.objects.exists()


def test_assignment_prompts_titles_and_rubrics_are_escaped_for_learners_and_graders(
    course, cohort, instructor, signed_in
):
    teacher = signed_in(instructor)
    learner = UserFactory()
    enrollment, _ = enroll_learner(learner=learner, course=course, cohort=cohort)
    for payload in PAYLOADS:
        assignment = AssignmentFactory(course=course, title=payload, prompt_source=payload)
        criterion = RubricCriterionFactory(
            assignment=assignment, title=payload, description=payload
        )
        RubricLevelFactory(criterion=criterion, title=payload[:100], description=payload)
        where = f"assignment {payload!r}"
        assert_inert(assignment.prompt_html, shows=[markdown_text(payload)], where=where)
        learner_page = get_ok(signed_in(learner), assignment.get_absolute_url()).content
        shows = [payload, payload[:100], markdown_text(payload)]
        assert_inert(learner_page, shows=shows, where=f"learner page of {where}")
        if payload in BREAKOUTS:
            submission = submit_work(
                assignment=assignment, enrollment=enrollment, body="An answer.", attempt=1
            )
            grading = get_ok(teacher, _grading_url(submission)).content
            assert_inert(grading, shows=shows, where=f"grading page of {where}")
    outline = get_ok(teacher, course.get_absolute_url()).content
    assert_inert(outline, shows=PAYLOADS, where="course page listing the assignments")


def test_knowledge_check_questions_and_answers_are_escaped(course, enrolled_learner, signed_in):
    lesson = Lesson.objects.current().filter(course=course).in_order()[1]
    lesson.questions.all().delete()
    questions = []
    for payload in PAYLOADS:
        question = QuestionFactory(lesson=lesson, prompt=payload, explanation=payload)
        Choice.objects.create(question=question, text=payload[:500], is_correct=True)
        Choice.objects.create(question=question, text="Another answer", is_correct=False)
        questions.append(question)
    course.version += 1
    course.save()
    browser = signed_in(enrolled_learner)
    assert_inert(
        get_ok(browser, lesson.get_absolute_url()).content, shows=PAYLOADS, where="check form"
    )
    answers = {q.pk: {q.choices.get(is_correct=True).pk} for q in questions}
    attempt = submit_check(learner=enrolled_learner, lesson=lesson, answers=answers)
    results = get_ok(browser, f"{lesson.get_absolute_url()}?attempt={attempt.pk}").content
    assert_inert(results, shows=PAYLOADS, where="check results")


def test_cohort_names_are_escaped_for_learners_and_instructors(
    course, instructor, assignment, signed_in
):
    teacher = signed_in(instructor)
    for number, payload in enumerate(PAYLOADS):
        cohort = CohortFactory(course=course, is_default=False, name=payload)
        cohort.instructors.add(instructor)
        learner = UserFactory(email=f"member{number}@example.org")
        submission = _enroll_and_submit(learner, cohort, assignment)
        where = f"cohort {payload!r}"
        dashboard = get_ok(signed_in(learner), reverse("courseware:dashboard")).content
        assert_inert(dashboard, shows=[payload], where=f"dashboard, {where}")
        gradebook = reverse("admin:courseware_gradebook", args=[cohort.pk])
        page = get_ok(teacher, gradebook).content
        assert_inert(page, shows=[payload], where=f"gradebook, {where}")
        if payload in BREAKOUTS:
            grading = get_ok(teacher, _grading_url(submission)).content
            assert_inert(grading, shows=[payload], where=f"grading page, {where}")
    queue = get_ok(teacher, reverse("admin:courseware_submission_changelist")).content
    assert_inert(queue, shows=PAYLOADS, where="grading queue with cohort names")
    cohorts = get_ok(teacher, reverse("admin:courseware_cohort_changelist")).content
    assert_inert(cohorts, shows=PAYLOADS, where="cohort list")


def test_an_unknown_time_zone_typed_in_the_cohort_form_is_echoed_escaped(
    client, course, admin_user
):
    client.force_login(admin_user)
    for number, payload in enumerate(BREAKOUTS):
        response = client.post(
            reverse("admin:courseware_cohort_add"),
            {
                "course": course.pk,
                "name": f"Run {number}",
                "slug": f"run-{number}",
                "timezone": payload,
                "join_policy": "open",
            },
        )
        assert response.status_code == 200
        assert "timezone" in response.context["adminform"].form.errors
        assert_inert(response.content, shows=[payload], where=f"time zone {payload!r}")
    assert not Cohort.objects.filter(slug__startswith="run-").exists()


def test_roster_names_and_bad_addresses_from_a_csv_are_escaped(
    course, cohort, instructor, signed_in
):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["email", "name"])
    for number, payload in enumerate(PAYLOADS):
        writer.writerow([f"roster{number}@example.org", payload])
        writer.writerow([payload, f"Bad address {number}"])
    teacher = signed_in(instructor)
    response = teacher.post(
        reverse("admin:courseware_cohort_enroll_csv", args=[cohort.pk]),
        {"roster": SimpleUploadedFile("roster.csv", buffer.getvalue().encode())},
    )
    assert response.status_code == 200
    assert_inert(response.content, shows=PAYLOADS, where="roster report")


# LMSs: the API and LTI


def test_display_names_created_through_the_api_are_json_and_escaped_in_admin(
    course, cohort, instructor, signed_in
):
    api = connect_new(cohorts=[cohort])
    for number, payload in enumerate(PAYLOADS):
        created = api.post(
            "/api/v1/users/",
            {"email": f"sis{number}@example.org", "display_name": payload},
            format="json",
        )
        assert created.status_code == 201, created.content
        assert created["Content-Type"].startswith("application/json")
        assert created.json()["display_name"] == payload
        enrolled = api.post(
            "/api/v1/enrollments/",
            {"cohort": cohort.pk, "user": created.json()["id"]},
            format="json",
        )
        assert enrolled.status_code == 201, enrolled.content
    teacher = signed_in(instructor)
    for where, url in {
        "gradebook": reverse("admin:courseware_gradebook", args=[cohort.pk]),
        "enrollments": reverse("admin:courseware_enrollment_changelist"),
    }.items():
        assert_inert(get_ok(teacher, url).content, shows=PAYLOADS, where=f"{where} (API names)")
    users = api.get("/api/v1/users/?page_size=100")
    assert users["Content-Type"].startswith("application/json")
    assert {row["display_name"] for row in users.json()["results"]} >= set(PAYLOADS)


def test_lti_name_claims_are_escaped_on_staff_pages(course, cohort, instructor, signed_in):
    for number, payload in enumerate(PAYLOADS):
        learner = user_for_lti_subject(
            issuer="https://lms.example.edu", subject=f"sub-{number}", name=payload
        )
        assert learner.display_name == payload
        enroll_learner(learner=learner, course=course, cohort=cohort, source="lti")
    teacher = signed_in(instructor)
    gradebook = reverse("admin:courseware_gradebook", args=[cohort.pk])
    assert_inert(get_ok(teacher, gradebook).content, shows=PAYLOADS, where="gradebook (LTI)")


@pytest.fixture
def lms(client, course, settings):
    settings.LTI_ALLOW_LOOPBACK_HTTP = True
    platform = Platform().start()
    try:
        response = register_dynamically(client, platform)
        assert response.status_code == 200, response.content
        platform.tool_jwks = client.get(reverse("lti:jwks")).json()
        client.cookies.clear()
        yield Browser(client, platform)
    finally:
        platform.stop()


def test_names_and_course_titles_sent_in_lti_launches_are_escaped(
    lms, course, admin_user, signed_in
):
    for number, payload in enumerate(BREAKOUTS):
        lms.client.cookies.clear()
        context = {**CONTEXT, "id": f"course-{number}", "title": payload}
        response = lms.launch(
            lesson_url(course),
            sub=f"hostile-{number}",
            context_id=f"course-{number}",
            overrides={"name": payload, LTI + "context": context},
        )
        assert response.status_code == 302, response.content
        learner = User.objects.get(lti_identities__subject=f"hostile-{number}")
        assert learner.display_name == payload
        enrollment = Enrollment.objects.get(learner=learner)
        assert enrollment.cohort.name == payload
        dashboard = get_ok(lms.client, reverse("courseware:dashboard")).content
        assert_inert(dashboard, shows=[payload], where=f"LTI dashboard {payload!r}")
        root = signed_in(admin_user)
        gradebook = reverse("admin:courseware_gradebook", args=[enrollment.cohort_id])
        assert_inert(
            get_ok(root, gradebook).content, shows=[payload], where=f"LTI gradebook {payload!r}"
        )


@pytest.mark.parametrize(
    "return_url",
    [
        "JaVaScRiPt:alert(document.domain)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_a_deep_linking_return_url_sent_by_the_lms_never_becomes_a_script(lms, course, return_url):
    """The picked activities go back in a form posted to the platform's return URL.

    A platform that sends a script URL there must get a refusal, never a page whose form
    runs it (the page submits its form by itself).
    """
    deep_linking_settings = {
        "deep_link_return_url": return_url,
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "accept_multiple": True,
    }
    response = lms.launch(
        "http://testserver/lti/launch/",
        deep_link=True,
        overrides={DL_SETTINGS: deep_linking_settings},
    )
    if response.status_code != 302:
        assert_inert(response.content, shows=["This launch could not be opened"])
        return
    lesson = course.lessons.current().in_order().first()
    answer = lms.client.post(reverse("lti:deep-link"), {"items": [f"lesson:{lesson.slug}"]})
    where = f"return to {return_url!r}"
    if answer.status_code == 200:
        assert_inert(answer.content, shows=["Returning to your course"], where=where)
    else:
        assert 400 <= answer.status_code < 500, answer.status_code
        assert_inert(answer.content, where=where)

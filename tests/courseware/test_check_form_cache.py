"""The unbound knowledge-check form is rendered once per course version, never stale."""

import pytest
from django.db.models import F
from django.urls import reverse

from courseware.models import Course
from courseware.services import enroll_learner

pytestmark = pytest.mark.django_db


def test_an_edited_question_shows_once_the_course_version_moves(client, course, learner):
    enroll_learner(learner=learner, course=course)
    client.force_login(learner)
    lesson = course.lessons.current().in_order().first()
    url = reverse("courseware:lesson-detail", args=[course.slug, lesson.slug])
    question = lesson.questions.first()
    assert question.prompt in client.get(url).content.decode()

    question.prompt = "A question the editors just rewrote?"
    question.save()
    Course.objects.filter(pk=course.pk).update(version=F("version") + 1)  # as admin edits do

    assert "A question the editors just rewrote?" in client.get(url).content.decode()


def test_a_refused_answer_shows_its_errors_not_the_cached_form(client, course, learner):
    enroll_learner(learner=learner, course=course)
    client.force_login(learner)
    lesson = course.lessons.current().in_order().first()
    client.get(reverse("courseware:lesson-detail", args=[course.slug, lesson.slug]))

    response = client.post(reverse("courseware:lesson-check", args=[course.slug, lesson.slug]), {})

    assert "Answer every question, then check again." in response.content.decode()
    assert "question--error" in response.content.decode()

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courseware.models import Course, Lesson

from ..conftest import DOCUMENT, OUTLINE
from ..factories import UserFactory


def _admin_client(client, db):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_admin_imports_an_uploaded_document_with_the_same_code_as_the_command(client, db):
    _admin_client(client, db)
    response = client.post(
        reverse("admin:courseware_course_import"),
        {
            "document": SimpleUploadedFile("document.txt", DOCUMENT.read_bytes()),
            "outline": SimpleUploadedFile("outline.toml", OUTLINE.read_bytes()),
        },
    )
    assert response.status_code == 302
    course = Course.objects.get()
    assert Lesson.objects.current().filter(course=course).count() == 17


def test_admin_import_of_a_binary_file_shows_the_reason_and_writes_nothing(client, db):
    _admin_client(client, db)
    response = client.post(
        reverse("admin:courseware_course_import"),
        {"document": SimpleUploadedFile("doc.txt", b"\x00\x01\x02binary"), "title": "X"},
    )
    assert response.status_code == 200
    assert "binary file" in response.content.decode()
    assert not Course.objects.exists()


def test_lesson_admin_shows_the_rendered_preview(client, course):
    _admin_client(client, course)
    lesson = Lesson.objects.get(course=course, slug="key-instruments-of-military-diplomacy")
    response = client.get(reverse("admin:courseware_lesson_change", args=[lesson.pk]))
    assert response.status_code == 200
    assert '<div class="lesson-preview"><p>Military diplomacy employs' in response.content.decode()


def test_editing_a_lesson_in_admin_rerenders_it_and_moves_the_course_version(client, course):
    _admin_client(client, course)
    lesson = Lesson.objects.select_related("module").get(course=course, slug="introduction")
    response = client.post(
        reverse("admin:courseware_lesson_change", args=[lesson.pk]),
        {
            "course": course.pk,
            "module": lesson.module_id,
            "title": lesson.title,
            "slug": lesson.slug,
            "position": lesson.position,
            "is_preview": "on",
            "body_source": "A **new** opening.",
            "objectives": "",
            "key_terms": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    lesson.refresh_from_db()
    assert lesson.body_html.strip() == "<p>A <strong>new</strong> opening.</p>"
    assert Course.objects.get(pk=course.pk).version == course.version + 1


def test_learners_cannot_open_the_admin(client, learner):
    client.force_login(learner)
    response = client.get(reverse("admin:courseware_lesson_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]

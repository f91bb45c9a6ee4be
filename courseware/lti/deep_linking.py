"""Deep Linking 2.0: an instructor picks lessons and case studies; we answer the platform
with a signed LtiDeepLinkingResponse of LtiResourceLink items."""

from django import forms
from django.urls import reverse
from lti_tool.models import LtiRegistration
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from ..models import Assignment, Course, Lesson
from .keys import signing_key


def choices(settings: dict) -> list[tuple[str, str]]:
    """The course's lessons, then its case studies, as (value, label) pairs."""
    course = Course.objects.get(pk=settings["course"])
    lessons = Lesson.objects.current().filter(course=course).in_order()
    assignments = Assignment.objects.filter(course=course).order_by("position", "pk")
    return [(f"lesson:{lesson.slug}", f"Lesson: {lesson.title}") for lesson in lessons] + [
        (f"assignment:{assignment.slug}", f"Case study: {assignment.title} (graded)")
        for assignment in assignments
    ]


class PickerForm(forms.Form):
    items = forms.MultipleChoiceField(
        label="Activities to add to your course",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one activity."},
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = choices


def response(request, settings: dict, picked: list[str]) -> dict:
    """Return the platform's return URL and the signed JWT that carries the picked items."""
    deep_linking_settings = settings["settings"]
    if deep_linking_settings.get("accept_multiple", True) not in (True, "true"):
        picked = picked[:1]
    course = Course.objects.get(pk=settings["course"])
    resources = [_resource(request, course, value) for value in picked]
    registration = LtiRegistration.objects.get(pk=settings["registration"]).to_registration()
    key = signing_key()
    registration.set_tool_private_key(key.private_key).set_tool_public_key(key.public_key)
    deep_link = DeepLink(registration, settings["deployment_id"], deep_linking_settings)
    message = deep_link.get_message_jwt([r for r in resources if r])
    if deep_linking_settings.get("data") is None:
        # The data claim is echoed only when the platform sent one.
        message.pop("https://purl.imsglobal.org/spec/lti-dl/claim/data", None)
    return {
        "return_url": deep_linking_settings["deep_link_return_url"],
        "jwt": deep_link.encode_jwt(message),
        "count": len(resources),
    }


def _resource(request, course: Course, value: str) -> DeepLinkResource:
    kind, slug = value.split(":", 1)
    resource = DeepLinkResource().set_custom_params({kind: slug})
    if kind == "assignment":
        assignment = Assignment.objects.get(course=course, slug=slug)
        url = reverse(
            "courseware:assignment-detail",
            kwargs={"course_slug": course.slug, "assignment_slug": slug},
        )
        line_item = (
            LineItem()
            .set_score_maximum(float(assignment.points_possible))
            .set_label(assignment.title)
            .set_resource_id(f"assignment:{slug}")
            .set_tag("case-study")
        )
        return (
            resource.set_title(assignment.title)
            .set_url(request.build_absolute_uri(url))
            .set_lineitem(line_item)
        )
    lesson = Lesson.objects.current().get(course=course, slug=slug)
    url = reverse(
        "courseware:lesson-detail", kwargs={"course_slug": course.slug, "lesson_slug": slug}
    )
    return resource.set_title(lesson.title).set_url(request.build_absolute_uri(url))

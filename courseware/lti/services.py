"""What a valid launch does: sign the person in, map the LMS course to a cohort, open the
resource. One transaction, after every check in `launch.py` has passed."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from lti_tool.models import LtiContext, LtiResourceLink

from accounts.services import user_for_lti_subject

from ..models import Assignment, Cohort, Course, Enrollment, FrameAncestor, Lesson, LinkedResource
from ..services.enrollment import enroll_learner, move_enrollments
from . import claims
from .http import PlatformError, check_url
from .launch import Launch, LaunchError


@dataclass
class LaunchResult:
    user: object
    cohort: Cohort
    redirect_to: str
    deep_linking: dict | None = None


@transaction.atomic
def accept_launch(launch: Launch) -> LaunchResult:
    """Use up the launch's login, then provision the user, cohort, enrollment and link."""
    used = (
        type(launch.login)
        .objects.filter(pk=launch.login.pk, used_at__isnull=True)
        .update(used_at=timezone.now())
    )
    if not used:
        raise LaunchError("This launch was already used. Open the activity again from your course.")
    data = launch.data
    instructor = claims.is_instructor(launch.claim("roles"))
    target = _target(launch)
    course = target.course
    deep_linking = None
    if launch.message_type == claims.DEEP_LINKING_REQUEST:
        if not instructor:
            raise LaunchError("Only instructors can choose the course's activities to add.")
        settings = launch.claim("deep_linking_settings") or {}
        try:
            # The answer is a form posted to this URL: only the platform's own https URL.
            check_url(str(settings.get("deep_link_return_url") or ""), what="deep_link_return_url")
        except PlatformError as error:
            raise LaunchError(str(error)) from error
        deep_linking = {
            "registration": launch.registration.pk,
            "deployment_id": launch.deployment.deployment_id,
            "settings": settings,
            "course": course.pk,
        }
    user = user_for_lti_subject(
        issuer=launch.registration.issuer,
        subject=str(data["sub"]),
        email=data.get("email") or "",
        name=data.get("name")
        or " ".join(part for part in (data.get("given_name"), data.get("family_name")) if part),
        instructor=instructor,
    )
    context = _sync_context(launch)
    cohort = cohort_for_context(context, course)
    if instructor:
        cohort.instructors.add(user)
    else:
        _enroll(user, cohort)
    if launch.message_type == claims.RESOURCE_LINK_REQUEST:
        _link_resource(launch, context, target)
    _remember_frame_origins(launch)
    return LaunchResult(
        user=user,
        cohort=cohort,
        redirect_to=reverse("lti:deep-link") if deep_linking else target.url,
        deep_linking=deep_linking,
    )


@dataclass
class _Target:
    course: Course
    lesson: Lesson | None = None
    assignment: Assignment | None = None

    @property
    def url(self) -> str:
        if self.assignment:
            return self.assignment.get_absolute_url()
        if self.lesson:
            return reverse(
                "courseware:lesson-detail",
                kwargs={"course_slug": self.course.slug, "lesson_slug": self.lesson.slug},
            )
        return reverse("courseware:course-detail", args=[self.course.slug])


def _target(launch: Launch) -> _Target:
    """What the launch opens: a custom parameter, else the target link URI, else the course.

    Only paths of this site are followed; a target on another host opens the course.
    """
    custom = launch.claim("custom") or {}
    courses = Course.objects.all()
    course = None
    lesson_slug = custom.get("lesson") if isinstance(custom, dict) else None
    assignment_slug = custom.get("assignment") if isinstance(custom, dict) else None
    if not (lesson_slug or assignment_slug):
        match = _resolve(launch.claim("target_link_uri") or "")
        if match:
            course = courses.filter(slug=match.kwargs.get("course_slug")).first()
            lesson_slug = match.kwargs.get("lesson_slug")
            assignment_slug = match.kwargs.get("assignment_slug")
    course = course or courses.order_by("pk").first()
    if course is None:
        raise LaunchError("This tool has no course yet.")
    target = _Target(course=course)
    if assignment_slug:
        target.assignment = Assignment.objects.filter(course=course, slug=assignment_slug).first()
    elif lesson_slug:
        target.lesson = Lesson.objects.current().filter(course=course, slug=lesson_slug).first()
    return target


def _resolve(url: str):
    parts = urlsplit(url)
    try:
        match = resolve(parts.path or "/")
    except Resolver404:
        return None
    return match if match.namespace == "courseware" else None


def _sync_context(launch: Launch) -> LtiContext:
    context_claim = launch.claim("context") or {}
    ags = launch.claim("ags") or {}
    nrps = launch.claim("nrps") or {}
    scopes = ags.get("scope") or []
    defaults = {
        "title": str(context_claim.get("title") or "")[:500],
        "label": str(context_claim.get("label") or "")[:255],
        "lineitems_url": ags.get("lineitems") or "",
        "can_query_lineitems": claims.AGS_LINEITEM_READONLY in scopes
        or claims.AGS_LINEITEM in scopes,
        "can_manage_lineitems": claims.AGS_LINEITEM in scopes,
        "can_publish_scores": claims.AGS_SCORE in scopes,
        "can_access_results": claims.AGS_RESULT_READONLY in scopes,
    }
    if nrps.get("context_memberships_url"):
        defaults["memberships_url"] = nrps["context_memberships_url"]
    # A launch without a context claim (allowed by the spec) gets one context per deployment.
    context, _ = LtiContext.objects.update_or_create(
        deployment=launch.deployment,
        id_on_platform=str(context_claim.get("id") or "")[:255],
        defaults=defaults,
    )
    return context


def cohort_for_context(context: LtiContext, course: Course) -> Cohort:
    """Return the cohort of the LMS course, making it on the first launch."""
    cohort = Cohort.objects.filter(lti_context=context).first()
    if cohort:
        return cohort
    title = context.title or context.label or "LMS course"
    cohort = Cohort(
        course=course,
        name=title[:200],
        slug=f"{slugify(title)[:60] or 'lms'}-{get_random_string(8).lower()}",
        join_policy=Cohort.JoinPolicy.INSTRUCTORS,
        starts_on=timezone.localdate(),
        lti_context=context,
    )
    cohort.full_clean()
    cohort.save()
    return cohort


def _enroll(user, cohort: Cohort) -> Enrollment:
    enrollment, created = enroll_learner(
        learner=user, course=cohort.course, cohort=cohort, source=Enrollment.Source.LTI
    )
    if (
        not created
        and enrollment.cohort_id != cohort.pk
        and enrollment.cohort.lti_context_id is None
    ):
        # Self-enrolled before the LMS launched them: the LMS course is now their cohort.
        move_enrollments(enrollments=Enrollment.objects.filter(pk=enrollment.pk), cohort=cohort)
    return enrollment


def _link_resource(launch: Launch, context: LtiContext, target: _Target) -> None:
    link_claim = launch.claim("resource_link") or {}
    resource_link, _ = LtiResourceLink.objects.update_or_create(
        context=context,
        id_on_platform=str(link_claim["id"])[:255],
        defaults={
            "title": str(link_claim.get("title") or "")[:500],
            "description": str(link_claim.get("description") or ""),
        },
    )
    if not (target.lesson or target.assignment):
        return
    line_item_url = (launch.claim("ags") or {}).get("lineitem") or ""
    LinkedResource.objects.update_or_create(
        resource_link=resource_link,
        defaults={
            "lesson": None if target.assignment else target.lesson,
            "assignment": target.assignment,
            "line_item_url": line_item_url[:500],
        },
    )


def _remember_frame_origins(launch: Launch) -> None:
    """The sites that frame our pages for this platform: where the LMS says to return."""
    urls = [
        (launch.claim("launch_presentation") or {}).get("return_url") or "",
        (launch.claim("tool_platform") or {}).get("url") or "",
    ]
    for url in urls:
        origin = origin_of(url)
        if origin:
            FrameAncestor.objects.get_or_create(registration=launch.registration, origin=origin)


def origin_of(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()

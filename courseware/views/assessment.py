"""Learner pages for knowledge checks, case-study assignments and grades."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .. import grading, services
from ..access import course_access, published_course_or_404
from ..forms import KnowledgeCheckForm, SubmissionForm
from ..models import (
    Assignment,
    CheckAttempt,
    Grade,
    Lesson,
    RubricCriterion,
    Submission,
)
from ..pages import get_lesson_page
from .lessons import render_lesson


@login_required
@require_POST
def lesson_check(request, course_slug, lesson_slug):
    course = published_course_or_404(course_slug)
    page = get_lesson_page(course, lesson_slug)
    if page is None:
        raise Http404("No such lesson in this course.")
    access = course_access(request.user, course)
    if not access.is_enrolled:
        messages.error(request, "Enroll in the course to check your understanding.")
        return redirect(course)
    form = KnowledgeCheckForm(request.POST, questions=page.questions)
    if form.is_valid():
        try:
            attempt = services.submit_check(
                learner=request.user, lesson=page.lesson, answers=form.answers()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect(f"{page.url}?attempt={attempt.pk}#knowledge-check")
    return render_lesson(request, course, page, check_form=form, status=400)


def _assignment_context(request, course, assignment):
    access = course_access(request.user, course)
    criteria = RubricCriterion.objects.filter(assignment=assignment).prefetch_related("levels")
    return {
        "course": course,
        "assignment": assignment,
        "access": access,
        "criteria": criteria,
        "learner_timezone": getattr(request.user, "timezone", "UTC") or "UTC",
    }


@never_cache
def assignment_detail(request, course_slug, assignment_slug):
    course = published_course_or_404(course_slug)
    assignment = get_object_or_404(
        Assignment.objects.published().prefetch_related(
            Prefetch("lessons", queryset=Lesson.objects.current().in_order())
        ),
        course=course,
        slug=assignment_slug,
    )
    context = _assignment_context(request, course, assignment)
    access = context["access"]
    if not access.is_enrolled:
        template = (
            "courseware/assignment_detail.html"
            if access.is_previewer
            else "courseware/assignment_locked.html"
        )
        return render(request, template, context, status=200 if access.is_previewer else 403)

    state = services.assignment_state(assignment=assignment, enrollment=access.enrollment)
    form = SubmissionForm(initial={"body": state.draft.body if state.draft else ""})
    if request.method == "POST":
        form = SubmissionForm(request.POST, request.FILES)
        saved = _save_or_submit(request, assignment, access.enrollment, form)
        if saved and request.headers.get("X-Autosave"):
            return JsonResponse(
                {
                    "saved_at": timezone.localtime(saved.updated_at).isoformat(),
                    "word_count": saved.word_count,
                }
            )
        if saved:
            return redirect(assignment.get_absolute_url())
        if request.headers.get("X-Autosave"):
            return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
        state = services.assignment_state(assignment=assignment, enrollment=access.enrollment)
    context.update(state=state, form=form, now=timezone.now(), **_released_grade(state))
    return render(
        request, "courseware/assignment_detail.html", context, status=400 if form.errors else 200
    )


def _save_or_submit(request, assignment, enrollment, form):
    """Save the draft, or submit it; return the submission, or None with errors on the form."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    attempt = request.POST.get("attempt", "")
    attempt = int(attempt) if attempt.isdigit() else None
    try:
        if request.POST.get("action") == "submit":
            if attempt is None:
                raise ValidationError("The page is out of date; reload it and submit again.")
            submission = services.submit_work(
                assignment=assignment,
                enrollment=enrollment,
                body=data["body"],
                attachment=data["attachment"],
                attempt=attempt,
            )
            late = (
                f" It is {submission.days_late} day(s) late: "
                f"a {submission.penalty_percent}% penalty applies."
                if submission.is_late
                else ""
            )
            messages.success(request, f"Attempt {submission.attempt} submitted.{late}")
        else:
            submission = services.save_draft(
                assignment=assignment,
                enrollment=enrollment,
                body=data["body"],
                attachment=data["attachment"],
                remove_attachment=data["remove_attachment"],
                attempt=attempt,
            )
            if not request.headers.get("X-Autosave"):
                messages.success(request, "Draft saved.")
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error)
        return None
    return submission


def _released_grade(state):
    """Return the newest released grade among the learner's submissions, if any."""
    graded = [s for s in state.handed_in if hasattr(s, "grade") and s.grade.is_released]
    return {"released_grade": graded[-1].grade if graded else None}


@login_required
def grades(request, course_slug):
    course = published_course_or_404(course_slug)
    access = course_access(request.user, course)
    if not access.is_enrolled:
        messages.info(request, "Enroll in the course to see your grades.")
        return redirect(course)
    learner = request.user
    released = {
        grade.submission.assignment_id: grade
        for grade in Grade.objects.released()
        .filter(submission__learner=learner, submission__assignment__course=course)
        .select_related("submission")
        .order_by("submission__attempt")
    }
    latest = {
        submission.assignment_id: submission
        for submission in Submission.objects.filter(learner=learner, assignment__course=course)
        .handed_in()
        .order_by("attempt")
    }
    assignments = [
        {"assignment": a, "grade": released.get(a.pk), "submission": latest.get(a.pk)}
        for a in course.assignments.published()
    ]
    lessons = list(
        Lesson.objects.current()
        .filter(course=course, questions__isnull=False)
        .distinct()
        .in_order()
    )
    best = CheckAttempt.objects.filter(learner=learner, lesson__in=lessons).best_percent_by_lesson()
    checks = [{"lesson": lesson, "best": best.get((learner.pk, lesson.pk))} for lesson in lessons]
    graded = [row["grade"] for row in assignments if row["grade"]]
    assignments_percent = (
        100 * sum(g.score for g in graded) / sum(g.points_possible for g in graded)
        if graded
        else None
    )
    checks_percent = (
        Decimal(sum(row["best"] or 0 for row in checks)) / len(checks) if checks else None
    )
    total = grading.weighted_total(
        assignments_percent=assignments_percent,
        checks_percent=checks_percent,
        assignments_weight=course.assignments_weight,
        checks_weight=course.checks_weight,
    )
    return render(
        request,
        "courseware/grades.html",
        {
            "course": course,
            "access": access,
            "assignments": assignments,
            "checks": checks,
            "assignments_percent": assignments_percent,
            "checks_percent": checks_percent,
            "total": total,
            "letter": course.letter_for(total) if total is not None else "",
        },
    )


@login_required
def submission_attachment(request, pk):
    # 404, not 403: don't reveal that someone else's submission exists.
    submission = get_object_or_404(Submission.objects.visible_to(request.user), pk=pk)
    if not submission.attachment:
        raise Http404("This submission has no attachment.")
    response = FileResponse(
        submission.attachment.open("rb"),
        as_attachment=True,
        filename=submission.attachment_name or "attachment",
        content_type=submission.attachment_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

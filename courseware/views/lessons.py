from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.generic import ListView, TemplateView

from .. import search, services
from ..access import course_access
from ..forms import KnowledgeCheckForm
from ..models import CheckAttempt, Cohort, Course, Enrollment, Lesson, LessonProgress
from ..outline import get_lesson_material, get_outline


class CatalogView(ListView):
    template_name = "courseware/catalog.html"
    context_object_name = "courses"

    def get_queryset(self):
        return Course.objects.published()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["enrolled_course_ids"] = (
            set(
                Enrollment.objects.current()
                .filter(learner=user)
                .values_list("course_id", flat=True)
            )
            if user.is_authenticated
            else set()
        )
        return context


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "courseware/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["enrollments"] = (
            Enrollment.objects.current()
            .filter(learner=self.request.user)
            .with_progress()
            .with_resume_lesson()
            .select_related("course", "cohort")
        )
        return context


def _progress_by_lesson(user, course, access):
    if not access.is_enrolled:
        return {}
    rows = LessonProgress.objects.for_course(learner=user, course=course).values_list(
        "lesson_id", "completed_at"
    )
    return dict(rows)


def _course_context(request, course):
    access = course_access(request.user, course)
    outline = get_outline(course)
    progress = _progress_by_lesson(request.user, course, access)
    current_ids = {lesson.pk for lesson in outline.lessons}
    completed = {pk for pk, done in progress.items() if done and pk in current_ids}
    total = len(current_ids)
    return {
        "course": course,
        "access": access,
        "outline": outline,
        "progress": progress,
        "completed_ids": completed,
        "percent_complete": round(100 * len(completed) / total) if total else 0,
        "resume": next((lesson for lesson in outline.lessons if lesson.pk not in completed), None),
    }


def course_detail(request, course_slug):
    course = get_object_or_404(Course.objects.published(), slug=course_slug)
    context = _course_context(request, course)
    context["assignments"] = course.assignments.published().only(
        "course_id", "slug", "title", "points_possible"
    )
    return render(request, "courseware/course_detail.html", context)


@login_required
@require_POST
def enroll(request, course_slug):
    course = get_object_or_404(Course.objects.published(), slug=course_slug)
    join_code = request.POST.get("join_code", "").strip()
    cohort = None
    if join_code:
        # The code names the cohort; a wrong code gets the same message as a closed one.
        cohort = course.cohorts.filter(
            join_policy=Cohort.JoinPolicy.CODE, join_code__iexact=join_code
        ).first()
        if cohort is None:
            messages.error(request, "That join code does not match a cohort of this course.")
            return redirect(course)
    try:
        _, created = services.enroll_learner(
            learner=request.user, course=course, cohort=cohort, join_code=join_code
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect(course)
    if created:
        messages.success(request, f"You are enrolled in {course.title}. Welcome!")
    return redirect(course)


def lesson_detail(request, course_slug, lesson_slug):
    course = get_object_or_404(Course.objects.published(), slug=course_slug)
    lesson = get_object_or_404(
        Lesson.objects.current().select_related("module"), course=course, slug=lesson_slug
    )
    return render_lesson(request, course, lesson)


def render_lesson(request, course, lesson, *, check_form=None, status=200):
    """Render a lesson page, or the invitation to enroll when the visitor may not read it."""
    context = _course_context(request, course)
    access = context["access"]
    if not access.can_open(lesson):
        return render(
            request, "courseware/lesson_locked.html", {**context, "lesson": lesson}, status=403
        )
    if access.is_enrolled and lesson.pk not in context["progress"]:
        services.record_lesson_visit(learner=request.user, lesson=lesson)
    previous_lesson, next_lesson = context["outline"].neighbours(lesson.pk)
    material = get_lesson_material(course, lesson)
    context.update(
        lesson=lesson,
        previous_lesson=previous_lesson,
        next_lesson=next_lesson,
        is_completed=lesson.pk in context["completed_ids"],
        related_assignments=material.assignments,
        **_check_context(request, lesson, access, check_form, material.questions),
    )
    return render(request, "courseware/lesson_detail.html", context, status=status)


def _check_context(request, lesson, access, form, questions):
    """Return the lesson's knowledge check: the form, and the results of the attempt asked for."""
    if not questions:
        return {}
    attempt, summary = None, None
    if access.is_enrolled:
        attempts = CheckAttempt.objects.filter(learner=request.user, lesson=lesson)
        attempt_id = request.GET.get("attempt", "")
        if attempt_id.isdigit() and form is None:
            attempt = attempts.filter(pk=attempt_id).first()
        summary = attempts.aggregate(best=Max("percent"), count=Count("pk"))
    return {
        "questions": questions,
        "check_form": form or KnowledgeCheckForm(questions=questions),
        "check_attempt": attempt,
        "check_results": _check_results(questions, attempt) if attempt else None,
        "check_summary": summary,
    }


def _check_results(questions, attempt):
    results = []
    for number, question in enumerate(questions, start=1):
        chosen = set(attempt.answers.get(str(question.pk), []))
        choices = [
            {"text": choice.text, "chosen": choice.pk in chosen, "correct": choice.is_correct}
            for choice in question.choices.all()
        ]
        right = all(choice["chosen"] == choice["correct"] for choice in choices)
        results.append({"number": number, "question": question, "choices": choices, "right": right})
    return results


@login_required
@require_POST
def complete_lesson(request, course_slug, lesson_slug):
    course = get_object_or_404(Course.objects.published(), slug=course_slug)
    lesson = get_object_or_404(Lesson.objects.current(), course=course, slug=lesson_slug)
    access = course_access(request.user, course)
    if not access.is_enrolled:
        messages.error(request, "Enroll in the course to keep track of your progress.")
        return redirect(course)
    finished_course = services.complete_lesson(
        learner=request.user, lesson=lesson, enrollment=access.enrollment
    )
    if finished_course:
        messages.success(request, f"You have completed every lesson of {course.title}.")
        return redirect(course)
    _, next_lesson = get_outline(course).neighbours(lesson.pk)
    messages.success(request, f"“{lesson.title}” marked complete.")
    if next_lesson:
        return redirect(
            "courseware:lesson-detail", course_slug=course.slug, lesson_slug=next_lesson.slug
        )
    return redirect(course)


def course_search(request, course_slug):
    course = get_object_or_404(Course.objects.published(), slug=course_slug)
    query = " ".join(request.GET.get("q", "").split())
    context = _course_context(request, course)
    hits = search.search_lessons(course=course, query=query)
    for hit in hits:
        hit.locked = not context["access"].can_open(hit.lesson)
    context.update(query=query, hits=hits)
    return render(request, "courseware/search.html", context)

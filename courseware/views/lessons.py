from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.generic import ListView, TemplateView

from .. import search, services
from ..access import (
    course_access,
    published_course_or_404,
    read_course_cards,
    read_course_state,
)
from ..models import CheckAttempt, Cohort, Course, Enrollment, Lesson
from ..outline import get_outline
from ..pages import get_course_page, get_lesson_page, render_course_modules, render_outline


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
        context["cards"] = read_course_cards(self.request.user)
        return context


def _course_context(request, course, *, page=None):
    """Context shared by the course's pages: the outline, the reader's access and progress."""
    outline = get_outline(course)
    lesson_ids = [lesson.pk for lesson in outline.lessons]
    access, progress = read_course_state(
        request.user,
        course,
        lesson_ids=lesson_ids,
        check_lesson_id=page.lesson.pk if page and page.questions else None,
    )
    total, finished, resume = outline.progress(progress.completed)
    return {
        "course": course,
        "access": access,
        "outline": outline,
        "progress": progress,
        "completed_ids": progress.completed,
        "percent_complete": round(100 * finished / total) if total else 0,
        "resume": resume,
    }


def course_detail(request, course_slug):
    course = published_course_or_404(course_slug)
    context = _course_context(request, course)
    context["course_page"] = get_course_page(course)
    context["modules_html"] = render_course_modules(
        course, context["outline"], access=context["access"], completed=context["completed_ids"]
    )
    return render(request, "courseware/course_detail.html", context)


@login_required
@require_POST
def enroll(request, course_slug):
    course = published_course_or_404(course_slug)
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
    course = published_course_or_404(course_slug)
    page = get_lesson_page(course, lesson_slug)
    if page is None:
        raise Http404("No such lesson in this course.")
    return render_lesson(request, course, page)


def render_lesson(request, course, page, *, check_form=None, status=200):
    """Render a lesson page, or the invitation to enroll when the visitor may not read it."""
    lesson = page.lesson
    context = _course_context(request, course, page=page)
    access, progress = context["access"], context["progress"]
    context.update(
        lesson=lesson,
        outline_html=render_outline(
            course,
            context["outline"],
            access=access,
            completed=progress.completed,
            current=lesson,
        ),
    )
    if not access.can_open(lesson):
        return render(request, "courseware/lesson_locked.html", context, status=403)
    if access.is_enrolled and lesson.pk not in progress.opened:
        services.record_lesson_visit(learner=request.user, lesson=lesson)
    context.update(
        page=page,
        previous_lesson=page.previous,
        next_lesson=page.next,
        is_completed=lesson.pk in progress.completed,
        **_check_context(request, lesson, access, check_form, page.questions),
    )
    return render(request, "courseware/lesson_detail.html", context, status=status)


def _check_context(request, lesson, access, form, questions):
    """Return the knowledge check: a refused form, and the results of the attempt asked for."""
    if not questions:
        return {}
    attempt = None
    attempt_id = request.GET.get("attempt", "")
    if access.is_enrolled and attempt_id.isdigit() and form is None:
        attempt = CheckAttempt.objects.filter(
            learner=request.user, lesson=lesson, pk=attempt_id
        ).first()
    return {
        "questions": questions,
        "check_form": form,
        "check_attempt": attempt,
        "check_results": _check_results(questions, attempt) if attempt else None,
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
    course = published_course_or_404(course_slug)
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
    course = published_course_or_404(course_slug)
    query = " ".join(request.GET.get("q", "").split())
    context = _course_context(request, course)
    hits = search.search_lessons(course=course, query=query)
    for hit in hits:
        hit.locked = not context["access"].can_open(hit.lesson)
    context.update(query=query, hits=hits)
    return render(request, "courseware/search.html", context)

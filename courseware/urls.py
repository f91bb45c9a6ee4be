from django.urls import path

from . import views

app_name = "courseware"

urlpatterns = [
    path("", views.CatalogView.as_view(), name="catalog"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("courses/<slug:course_slug>/", views.course_detail, name="course-detail"),
    path("courses/<slug:course_slug>/enroll/", views.enroll, name="enroll"),
    path("courses/<slug:course_slug>/search/", views.course_search, name="search"),
    path("courses/<slug:course_slug>/grades/", views.grades, name="grades"),
    path(
        "courses/<slug:course_slug>/lessons/<slug:lesson_slug>/",
        views.lesson_detail,
        name="lesson-detail",
    ),
    path(
        "courses/<slug:course_slug>/lessons/<slug:lesson_slug>/complete/",
        views.complete_lesson,
        name="lesson-complete",
    ),
    path(
        "courses/<slug:course_slug>/lessons/<slug:lesson_slug>/check/",
        views.lesson_check,
        name="lesson-check",
    ),
    path(
        "courses/<slug:course_slug>/assignments/<slug:assignment_slug>/",
        views.assignment_detail,
        name="assignment-detail",
    ),
    path(
        "submissions/<int:pk>/attachment/",
        views.submission_attachment,
        name="submission-attachment",
    ),
]

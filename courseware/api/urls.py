from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"

# No `.json` suffix routes: the API speaks JSON only, chosen by Accept.
router = DefaultRouter()
router.include_format_suffixes = False
router.register("courses", views.CourseViewSet, basename="course")
router.register("lessons", views.LessonViewSet, basename="lesson")
router.register("cohorts", views.CohortViewSet, basename="cohort")
router.register("users", views.UserViewSet, basename="user")
router.register("enrollments", views.EnrollmentViewSet, basename="enrollment")
router.register("assignments", views.AssignmentViewSet, basename="assignment")
router.register("submissions", views.SubmissionViewSet, basename="submission")
router.register("grades", views.GradeViewSet, basename="grade")
router.register("check-results", views.CheckResultViewSet, basename="check-result")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file: the CSP allows no inline scripts.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]

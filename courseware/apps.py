from django.apps import AppConfig


class CoursewareConfig(AppConfig):
    name = "courseware"
    verbose_name = "Courseware"

    def ready(self):
        from .lti import signals  # noqa: F401

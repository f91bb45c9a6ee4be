from django.apps import AppConfig


class CoursewareConfig(AppConfig):
    name = "courseware"
    verbose_name = "Courseware"

    def ready(self):
        from . import signals  # noqa: F401
        from .lti import signals as lti_signals  # noqa: F401

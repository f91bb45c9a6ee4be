from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "LMS integrations"

    def ready(self):
        from . import signals  # noqa: F401 (connects the receivers)

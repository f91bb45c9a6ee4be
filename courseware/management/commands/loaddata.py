"""Django's loaddata, without writing history for the rows it restores.

A restore puts rows back as they were, history tables included. simple_history would
otherwise record each user's groups, each cohort's instructors and each API client's
cohorts as a fresh change, dated at the restore and made by nobody.
"""

from django.conf import settings
from django.core.management.commands.loaddata import Command as LoadDataCommand


class Command(LoadDataCommand):
    help = LoadDataCommand.help + " Restored rows keep the history they were dumped with."

    def handle(self, *fixture_labels, **options):
        enabled = getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
        settings.SIMPLE_HISTORY_ENABLED = False
        try:
            return super().handle(*fixture_labels, **options)
        finally:
            settings.SIMPLE_HISTORY_ENABLED = enabled

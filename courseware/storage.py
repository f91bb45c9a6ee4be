"""Where private uploads live: under MEDIA_ROOT, never served by URL, only by checked views."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateFileStorage(FileSystemStorage):
    """File storage in MEDIA_ROOT/private, read from settings on every use."""

    @property
    def base_location(self):
        return os.path.join(settings.MEDIA_ROOT, "private")

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise NotImplementedError("Private files have no public URL: serve them through a view.")


def private_storage():
    return PrivateFileStorage()

"""Private file storage: files that hold personal data or leadership's figures, never served from MEDIA_URL."""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateFileStorage(FileSystemStorage):
    """Files under the directory a setting names (`root_setting`), outside MEDIA_ROOT, with no URL.

    Only a view that checks who is asking (or a task) reads them. The location is read from the settings at every
    use so a test (or a deployment) can move it; subclasses name the setting and say how their files are reached.
    """

    root_setting = ""
    no_url_message = "These files have no public URL."

    @property
    def base_location(self):
        return Path(getattr(settings, self.root_setting))

    @property
    def location(self):
        return str(Path(getattr(settings, self.root_setting)).resolve())

    def url(self, name):
        raise ValueError(self.no_url_message)

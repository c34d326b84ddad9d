"""The roster import job: one uploaded roster, imported by a Celery task, with its progress and its result."""

import os
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from ..storage import PrivateFileStorage


@deconstructible
class PrivateImportStorage(PrivateFileStorage):
    """Uploaded rosters wait under settings.IMPORTS_ROOT for their task.

    They hold personal data (names, phones, birth dates): nothing serves them, and the task deletes the file once
    the import has finished.
    """

    root_setting = "IMPORTS_ROOT"
    no_url_message = "Uploaded rosters have no URL."


def import_file_name(job, filename: str) -> str:
    # The uploader's file name is kept in original_name only: a random name cannot collide or traverse.
    return f"{uuid.uuid4().hex}.xlsx"


class RosterImport(models.Model):
    """One roster upload: queued -> running -> done | failed. A failed import saved nothing (all or nothing)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    FINISHED_STATUSES = (Status.DONE, Status.FAILED)

    file = models.FileField(
        _("file"), storage=PrivateImportStorage(), upload_to=import_file_name, max_length=200, blank=True
    )
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_size = models.PositiveIntegerField(_("file size (bytes)"), default=0)
    create_missing_units = models.BooleanField(_("create missing units"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    units_created = models.JSONField(_("units created"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    row_errors = models.JSONField(
        _("row errors"), default=list, blank=True, help_text=_("Each problem found: row, column and message.")
    )
    row_error_count = models.PositiveIntegerField(_("number of row errors"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration = models.DurationField(_("duration"), null=True, blank=True)
    task_id = models.CharField(_("Celery task id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="rosterimport_progress_at_most_100"),
        ]
        indexes = [models.Index(fields=["status", "started_at"])]

    def __str__(self):
        return f"{self.original_name or _('roster')} ({self.created_at:%Y-%m-%d %H:%M})" if self.created_at else ""

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES

    @property
    def total(self) -> int:
        return self.created_count + self.updated_count + self.unchanged_count

    @property
    def duration_seconds(self) -> float | None:
        return round(self.duration.total_seconds(), 1) if self.duration is not None else None

    @property
    def display_name(self) -> str:
        return os.path.basename(self.original_name) or str(_("roster"))

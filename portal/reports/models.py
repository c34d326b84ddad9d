"""The report record: one generated (or failed) workbook for a period in one language; regenerating makes a new
version. Version numbers count every workbook of the period, whatever its language (one number names one file);
the current version of a language is its newest (see selectors.PeriodReports), so each language keeps its own."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..storage import PrivateFileStorage
from .periods import Period


@deconstructible
class PrivateReportStorage(PrivateFileStorage):
    """Report files live under settings.REPORTS_ROOT; only the download view, which checks who is asking, serves
    them."""

    root_setting = "REPORTS_ROOT"
    no_url_message = "Report files have no public URL; they are served by the reports download view."


def report_file_name(report, filename: str) -> str:
    return f"{report.year}/{filename}"


class Report(models.Model):
    """A summary workbook for a quarter (or a whole year when `quarter` is empty), in one language."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    FINISHED_STATUSES = (Status.DONE, Status.FAILED)

    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    quarter = models.PositiveSmallIntegerField(
        _("quarter"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text=_("Empty for the whole year."),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    file = models.FileField(
        _("file"), storage=PrivateReportStorage(), upload_to=report_file_name, max_length=200, blank=True
    )
    file_size = models.PositiveIntegerField(_("file size (bytes)"), null=True, blank=True)
    checksum = models.CharField(_("SHA-256 checksum"), max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
        help_text=_("Empty when the schedule generated it."),
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration = models.DurationField(_("duration"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(_("Celery task id"), max_length=64, blank=True)
    headline = models.JSONField(_("headline figures"), default=dict, blank=True)

    class Meta:
        verbose_name = _("summary report")
        verbose_name_plural = _("summary reports")
        ordering = ["-year", models.F("quarter").desc(nulls_first=True), "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "quarter", "version"],
                condition=Q(quarter__isnull=False),
                name="report_unique_quarter_version",
            ),
            models.UniqueConstraint(
                fields=["year", "version"], condition=Q(quarter__isnull=True), name="report_unique_annual_version"
            ),
            models.CheckConstraint(
                condition=Q(quarter__isnull=True) | Q(quarter__gte=1, quarter__lte=4), name="report_quarter_1_to_4"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_at_most_100"),
        ]
        indexes = [models.Index(fields=["status", "started_at"])]

    def __str__(self):
        return f"{self.period.label} v{self.version}"

    @cached_property
    def period(self) -> Period:
        return Period(self.year, self.quarter)

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES

    @property
    def is_downloadable(self) -> bool:
        return self.status == self.Status.DONE and bool(self.file)

    @property
    def duration_seconds(self) -> float | None:
        return round(self.duration.total_seconds(), 1) if self.duration is not None else None

    @property
    def requested_by_label(self) -> str:
        return requester_label(self.requested_by)


def requester_label(user) -> str:
    """Who asked for a report, as the workbook and the pages show it; the schedule when nobody did."""
    from ..permissions import cadre_of  # not at the top: this module loads while the models are still loading

    if user is None:
        return gettext("Scheduled (automatic)")
    cadre = cadre_of(user)
    if cadre is not None:
        return f"{cadre.name} ({cadre.employee_no})"
    return user.get_full_name() or user.get_username()

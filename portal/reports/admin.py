"""Committee staff's view of the summary reports: every version, its status and error, a regenerate action."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..admin_tools import ReadOnlyAdminMixin, SafeDateHierarchyMixin
from ..errors import PortalError
from . import selectors, services
from .models import Report


@admin.register(Report)
class ReportAdmin(SafeDateHierarchyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # Reports are requested through the regenerate action or the reports page, which queue the Celery task, and
    # every version stays: the record of what leadership received (and when a build failed).

    list_display = [
        "period_label",
        "version",
        "language",
        "current_version",
        "status",
        "progress",
        "requested_by_label",
        "created_at",
        "duration",
        "short_error",
        "download_link",
    ]
    list_filter = ["status", "year", "quarter", "language"]
    list_select_related = ["requested_by", "requested_by__cadre"]
    search_fields = ["error", "task_id", "checksum"]
    date_hierarchy = "created_at"
    actions = ["regenerate"]
    fields = [
        "period_label",
        "year",
        "quarter",
        "version",
        "language",
        "status",
        "progress",
        "requested_by_label",
        "created_at",
        "started_at",
        "finished_at",
        "duration",
        "error",
        "download_link",
        "file_size",
        "checksum",
        "task_id",
        "headline",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return selectors.with_current_flag(super().get_queryset(request))

    @admin.display(description=_("current in its language"), boolean=True, ordering="is_current")
    def current_version(self, report):
        # What leadership sees on the reports page: the newest version of the period in that language.
        return getattr(report, "is_current", None)

    def has_regenerate_permission(self, request):
        return request.user.has_perm("portal.add_report")

    @admin.display(description=_("period"), ordering="year")
    def period_label(self, report):
        return report.period.label

    @admin.display(description=_("requested by"))
    def requested_by_label(self, report):
        return report.requested_by_label

    @admin.display(description=_("error"))
    def short_error(self, report):
        return report.error[:120] + ("…" if len(report.error) > 120 else "")

    @admin.display(description=_("file"))
    def download_link(self, report):
        if not report.is_downloadable:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("reports:download", args=[report.pk]), services.download_name(report)
        )

    @admin.action(description=_("Generate the selected periods again (a new version)"), permissions=["regenerate"])
    def regenerate(self, request, queryset):
        done = set()
        for report in queryset.order_by("year", "quarter", "-version"):
            key = (report.year, report.quarter, report.language)
            if key in done:
                continue
            done.add(key)
            try:
                new = services.report_regenerate(actor=request.user, report=report)
            except PortalError as error:
                self.message_user(request, f"{report.period.label}: {error}", messages.ERROR)
                continue
            self.message_user(
                request,
                gettext("%(period)s: version %(version)s requested (%(status)s).")
                % {"period": new.period.label, "version": new.version, "status": new.get_status_display()},
                messages.SUCCESS,
            )

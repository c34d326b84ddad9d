"""Committee staff's history of roster imports: every upload, its status, counts and errors, read-only."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..admin_tools import ReadOnlyAdminMixin, SafeDateHierarchyMixin
from .models import RosterImport


@admin.register(RosterImport)
class RosterImportAdmin(SafeDateHierarchyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # Imports start from the cadres' "Import from Excel" page, which queues the Celery task; the record stays.

    list_display = [
        "original_name",
        "status",
        "progress",
        "requested_by",
        "created_at",
        "created_count",
        "updated_count",
        "unchanged_count",
        "row_error_count",
        "duration",
        "job_link",
    ]
    list_filter = ["status", "create_missing_units"]
    list_select_related = ["requested_by"]
    search_fields = ["original_name", "error", "task_id", "requested_by__username"]
    date_hierarchy = "created_at"
    fields = [
        "original_name",
        "file_size",
        "create_missing_units",
        "status",
        "progress",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
        "duration",
        "created_count",
        "updated_count",
        "unchanged_count",
        "units_created",
        "error",
        "row_error_count",
        "task_id",
        "job_link",
    ]
    readonly_fields = fields

    @admin.display(description=_("result"))
    def job_link(self, job):
        return format_html('<a href="{}">{}</a>', reverse("admin:portal_cadre_import_job", args=[job.pk]), _("Open"))

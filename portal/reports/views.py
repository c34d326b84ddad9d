"""Leadership's report pages: the reports by period, "generate now" with live progress, downloads, the dashboard.

Staff and leadership only; anyone else signed in gets a 404, anonymous visitors the login page. Files are served
here after the check, never from a public URL.
"""

import logging

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from ..errors import PortalError
from ..permissions import PortalAccessMixin
from . import selectors, services
from .builder import XLSX_CONTENT_TYPE
from .forms import ReportRequestForm
from .models import Report
from .permissions import can_use_reports

logger = logging.getLogger(__name__)

STATUS_TEMPLATE = "reports/_report_status.html"


class ReportsAccessMixin(PortalAccessMixin):
    def has_access(self, user) -> bool:
        return can_use_reports(user)


class ReportListView(ReportsAccessMixin, TemplateView):
    template_name = "reports/report_list.html"

    def get_context_data(self, **kwargs):
        # A report whose worker died shows as failed right away, not only at the sweeper's next round.
        services.reports_fail_stuck()
        return super().get_context_data(
            form=kwargs.pop("form", None) or ReportRequestForm(), groups=selectors.reports_by_period(), **kwargs
        )


class ReportGenerateView(ReportsAccessMixin, View):
    """POST: request a report. With htmx, answers the new report's live status; otherwise redirects to the list."""

    http_method_names = ["post"]

    def post(self, request):
        form = ReportRequestForm(request.POST)
        if not form.is_valid():
            return self._refused(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        period = form.cleaned_data["period"]
        try:
            report = services.report_request(
                actor=request.user,
                year=period.year,
                quarter=period.quarter,
                language=form.cleaned_data["language"],
            )
        except PortalError as error:
            return self._refused(request, str(error))
        if request.htmx:
            return render(request, STATUS_TEMPLATE, {"report": selectors.for_display(report), "fresh": True})
        if report.status == Report.Status.DONE:
            messages.success(request, _("The report for %(period)s is ready.") % {"period": report.period.label})
        elif report.status == Report.Status.FAILED:
            messages.error(request, report.error)
        else:
            messages.info(request, _("The report for %(period)s is being built.") % {"period": report.period.label})
        return redirect("reports:list")

    def _refused(self, request, message: str):
        if request.htmx:
            return render(request, "reports/_generate_error.html", {"message": message})
        messages.error(request, message)
        return redirect("reports:list")


class ReportStatusView(ReportsAccessMixin, View):
    """The polling fragment: status, progress, download link; it stops polling once the report is finished."""

    def get(self, request, pk):
        try:
            report = selectors.report_for_status(pk)
        except Report.DoesNotExist as exc:
            raise Http404 from exc
        if not report.is_finished and services.reports_fail_stuck():
            # Its worker died: say so now instead of polling until the sweeper's next round.
            report = selectors.report_for_status(pk)
        return render(request, STATUS_TEMPLATE, {"report": report})


class ReportDownloadView(ReportsAccessMixin, View):
    def get(self, request, pk):
        report = get_object_or_404(Report, pk=pk, status=Report.Status.DONE)
        if not report.file:
            raise Http404
        try:
            handle = report.file.open("rb")
        except FileNotFoundError as exc:
            logger.error("Report %s: file %s is missing from REPORTS_ROOT", report.pk, report.file.name)
            raise Http404 from exc
        return FileResponse(
            handle, as_attachment=True, filename=services.download_name(report), content_type=XLSX_CONTENT_TYPE
        )


class DashboardView(ReportsAccessMixin, TemplateView):
    template_name = "reports/dashboard.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(dashboard=selectors.dashboard(), **kwargs)

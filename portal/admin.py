"""Committee staff's admin for units, cadres, the audit trail, and the roster import from Excel."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import credentials, history, services
from .admin_tools import AuditedAdminMixin, ParsedInitialMixin
from .errors import PortalError
from .models import Cadre, CadreTenure, Unit, UnitActiveSpan
from .phones import normalize_phone

User = get_user_model()


HISTORY_ORDER = [F("started_at").asc(nulls_first=True), "pk"]


def history_table(spans, *, with_unit: bool):
    """The recorded active spans as a read-only list (written by the services, portal.history)."""
    rows = []
    for span in spans:
        start = date_format(timezone.localtime(span.started_at), "SHORT_DATETIME_FORMAT") if span.started_at else ""
        end = date_format(timezone.localtime(span.ended_at), "SHORT_DATETIME_FORMAT") if span.ended_at else ""
        rows.append(
            (
                span.unit.name if with_unit else "",
                start or gettext("since records began"),
                end or gettext("now"),
            )
        )
    if not rows:
        return gettext("Nothing recorded: active since records began while marked active.")
    return format_html(
        "<ul>{}</ul>",
        format_html_join("", "<li>{} {} – {}</li>", rows),
    )


@admin.register(Unit)
class UnitAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "short_name", "code", "kind", "sort_order", "active_cadres", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name", "code"]
    list_editable = ["sort_order"]
    ordering = ["sort_order", "code"]
    actions = ["issue_initial_passwords", "activate_units", "deactivate_units"]

    # Units are never deleted (cadres, teams, placings and reports point at them), and activation goes through
    # services.units_set_active (audited): is_active is read-only on the form.
    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "is_active", "active_history"] if obj is not None else readonly

    @admin.display(description=_("active"))
    def active_history(self, unit):
        return history_table(UnitActiveSpan.objects.filter(unit=unit).order_by(*HISTORY_ORDER), with_unit=False)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            # A new unit counts in the reports from now on, not in the periods before it existed.
            history.units_started([obj.pk])

    def _set_active(self, request, queryset, active: bool):
        try:
            count = services.units_set_active(actor=request.user, units=list(queryset), active=active)
        except PortalError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(request, gettext("%(count)d unit(s) changed.") % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Activate the selected units"), permissions=["change"])
    def activate_units(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description=_("Deactivate the selected units (kept as history)"), permissions=["change"])
    def deactivate_units(self, request, queryset):
        self._set_active(request, queryset, False)

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(active_cadre_count=Count("cadres", filter=Q(cadres__is_active=True)))
        )

    @admin.display(description=_("active cadres"), ordering="active_cadre_count")
    def active_cadres(self, unit):
        return unit.active_cadre_count

    @admin.action(
        description=_("Issue initial passwords to cadres who have not logged in yet (Excel, one sheet per unit)"),
        permissions=["change"],
    )
    def issue_initial_passwords(self, request, queryset):
        try:
            groups = credentials.credentials_issue_units(actor=request.user, units=list(queryset))
        except PortalError as error:
            self.message_user(request, str(error), messages.WARNING)
            return None
        workbook = credentials.credentials_workbook([(unit.name, issued) for unit, issued in groups])
        return credentials.workbook_response(workbook, "initial-passwords")


class CadreAdminForm(forms.ModelForm):
    talents = forms.MultipleChoiceField(
        label=_("talents"), choices=Cadre.Talent.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Cadre
        fields = [
            "employee_no",
            "name",
            "gender",
            "birth_date",
            "unit",
            "position",
            "political_status",
            "phone",
            "car_plate",
            "talents",
            "is_liaison",
            "is_active",
        ]

    def clean_employee_no(self):
        employee_no = self.cleaned_data["employee_no"].strip()
        taken = services.employee_no_conflict(employee_no, exclude_user_id=self.instance.user_id or None)
        if taken is not None:
            raise ValidationError(services.employee_no_taken_message(employee_no, taken))
        return employee_no

    def clean_phone(self):
        # The same leniency as the roster import: spaces, dashes, +86, full-width or other scripts' digits.
        raw = self.cleaned_data["phone"]
        phone = normalize_phone(raw)
        if phone is None:
            raise ValidationError(_("Enter an 11-digit mobile number or a landline such as 0427-2812345."))
        return phone


class RosterImportForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file (.xlsx)"),
        help_text=_("Use the template: one row per cadre. At most %(size)s MB.")
        % {"size": settings.ROSTER_IMPORT_MAX_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    create_missing_units = forms.BooleanField(
        label=_("Create units that do not exist yet"),
        required=False,
        help_text=_("Leave unticked to have rows naming an unknown unit reported as errors."),
    )


@admin.register(Cadre)
class CadreAdmin(ParsedInitialMixin, admin.ModelAdmin):
    form = CadreAdminForm
    change_list_template = "admin/portal/cadre/change_list.html"
    list_display = [
        "employee_no",
        "name",
        "unit",
        "position",
        "political_status",
        "masked_phone_display",
        "is_liaison",
        "is_active",
    ]
    list_display_links = ["employee_no", "name"]
    list_filter = ["unit", "political_status", "is_active", "is_liaison", "gender"]
    search_fields = ["name", "employee_no", "phone"]
    list_select_related = ["unit"]
    autocomplete_fields = ["unit"]
    list_per_page = 50
    ordering = ["unit__sort_order", "unit__code", "employee_no"]
    readonly_fields = ["must_change_password", "created_at", "updated_at", "tenure_history"]
    actions = ["activate", "deactivate", "make_liaison", "revoke_liaison", "reset_password"]
    fieldsets = [
        (None, {"fields": ["employee_no", "name", "gender", "birth_date", "unit", "position", "political_status"]}),
        (_("Contact"), {"fields": ["phone", "car_plate"]}),
        (_("Talents"), {"fields": ["talents"]}),
        (_("Roles and status"), {"fields": ["is_liaison", "is_active", "must_change_password"]}),
        (_("Record"), {"fields": ["created_at", "updated_at", "tenure_history"], "classes": ["collapse"]}),
    ]

    @admin.display(description=_("units and activity over time"))
    def tenure_history(self, cadre):
        if cadre.pk is None:
            return "—"
        tenures = CadreTenure.objects.filter(cadre=cadre).select_related("unit").order_by(*HISTORY_ORDER)
        return history_table(tenures, with_unit=True)

    # A cadre is never deleted (teams, sign-ups and the audit trail point at them): deactivate instead.
    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("phone"))
    def masked_phone_display(self, cadre):
        return cadre.masked_phone

    def save_model(self, request, obj, form, change):
        services.cadre_save(actor=request.user, cadre=obj)

    def _run_action(self, request, action, queryset, **kwargs):
        try:
            count = action(actor=request.user, cadres=list(queryset), **kwargs)
        except PortalError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(request, gettext("%(count)d cadre(s) changed.") % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Activate the selected cadres"), permissions=["change"])
    def activate(self, request, queryset):
        self._run_action(request, services.cadres_set_active, queryset, active=True)

    @admin.action(description=_("Deactivate the selected cadres (they can no longer log in)"), permissions=["change"])
    def deactivate(self, request, queryset):
        self._run_action(request, services.cadres_set_active, queryset, active=False)

    @admin.action(description=_("Make the selected cadres liaisons of their unit"), permissions=["change"])
    def make_liaison(self, request, queryset):
        self._run_action(request, services.cadres_set_liaison, queryset, liaison=True)

    @admin.action(description=_("Revoke the liaison role"), permissions=["change"])
    def revoke_liaison(self, request, queryset):
        self._run_action(request, services.cadres_set_liaison, queryset, liaison=False)

    @admin.action(
        description=_("Reset the password: a new random initial password for each, printed in Excel"),
        permissions=["change"],
    )
    def reset_password(self, request, queryset):
        try:
            issued = credentials.credentials_reset(actor=request.user, cadres=list(queryset))
        except PortalError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        # One download answers the action; the passwords are in the workbook only, never in a message.
        title = gettext("Password reset")
        return credentials.workbook_response(credentials.credentials_workbook([(title, issued)]), "password-reset")

    # Roster import ---------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.roster_import_view), name="portal_cadre_import"),
            path("import/template/", view(self.roster_template_view), name="portal_cadre_import_template"),
            path("import/<id:pk>/", view(self.roster_import_job_view), name="portal_cadre_import_job"),
            *super().get_urls(),
        ]

    def _check_import_permission(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied

    def roster_template_view(self, request):
        from .imports import roster_template_bytes

        self._check_import_permission(request)
        response = HttpResponse(
            roster_template_bytes(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="roster-template.xlsx"'
        return response

    def roster_import_view(self, request):
        """Upload: a file that is plainly no roster is refused here; anything else becomes an import job, run by
        Celery (at once in eager mode), whose page shows its progress and then its result."""
        from .imports import RosterImportError
        from .imports.services import roster_import_request

        self._check_import_permission(request)
        errors = []
        error_summary = ""
        form = RosterImportForm(request.POST, request.FILES) if request.method == "POST" else RosterImportForm()
        if form.is_bound and form.is_valid():
            try:
                job = roster_import_request(
                    actor=request.user,
                    uploaded_file=form.cleaned_data["file"],
                    create_missing_units=form.cleaned_data["create_missing_units"],
                )
            except RosterImportError as error:
                errors = error.errors
                error_summary = str(error)
            else:
                return redirect(reverse("admin:portal_cadre_import_job", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import cadres from Excel"),
            "form": form,
            "errors": errors[:500],
            "error_count": len(errors),
            "error_summary": error_summary,
            "max_rows": settings.ROSTER_IMPORT_MAX_ROWS,
        }
        return TemplateResponse(request, "admin/portal/cadre/import.html", context)

    def roster_import_job_view(self, request, pk):
        """An import job's page; with htmx, the status fragment it polls until the job has finished."""
        from .imports.models import RosterImport
        from .imports.services import roster_imports_fail_stuck, summary_message

        self._check_import_permission(request)
        job = RosterImport.objects.select_related("requested_by").filter(pk=pk).first()
        if job is None:
            raise Http404
        if not job.is_finished and roster_imports_fail_stuck():
            job.refresh_from_db()  # its worker died: say so now
        context = {"job": job, "summary": summary_message(job) if job.status == RosterImport.Status.DONE else ""}
        if request.headers.get("HX-Request") == "true":
            return TemplateResponse(request, "admin/portal/cadre/_import_status.html", context)
        context |= {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Roster import: %(file)s") % {"file": job.display_name},
        }
        return TemplateResponse(request, "admin/portal/cadre/import_job.html", context)


# The audit trail's admin is its own module (readable actions, object links, changes); importing it registers it.
from . import audit_admin  # noqa: E402,F401

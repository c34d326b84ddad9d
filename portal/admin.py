"""Committee staff's admin for units, cadres, the audit trail, and the roster import from Excel."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .admin_tools import ReadOnlyAdminMixin
from .errors import PortalError
from .models import AuditEntry, Cadre, Unit

User = get_user_model()


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "code", "kind", "sort_order", "active_cadres", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name", "code"]
    list_editable = ["sort_order"]
    ordering = ["sort_order", "code"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(active_cadre_count=Count("cadres", filter=Q(cadres__is_active=True)))
        )

    @admin.display(description=_("active cadres"), ordering="active_cadre_count")
    def active_cadres(self, unit):
        return unit.active_cadre_count


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
        accounts = User.objects.filter(username=employee_no)
        if self.instance.pk:
            accounts = accounts.exclude(pk=self.instance.user_id)
        if accounts.exists():
            raise ValidationError(_("An account with this employee number already exists."))
        return employee_no


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
class CadreAdmin(admin.ModelAdmin):
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
    readonly_fields = ["must_change_password", "created_at", "updated_at"]
    actions = ["activate", "deactivate", "make_liaison", "revoke_liaison", "reset_password"]
    fieldsets = [
        (None, {"fields": ["employee_no", "name", "gender", "birth_date", "unit", "position", "political_status"]}),
        (_("Contact"), {"fields": ["phone", "car_plate"]}),
        (_("Talents"), {"fields": ["talents"]}),
        (_("Roles and status"), {"fields": ["is_liaison", "is_active", "must_change_password"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

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
        description=_("Reset the password to the initial password (to be changed at next login)"),
        permissions=["change"],
    )
    def reset_password(self, request, queryset):
        self._run_action(request, services.cadres_reset_password, queryset)

    # Roster import ---------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.roster_import_view), name="portal_cadre_import"),
            path("import/template/", view(self.roster_template_view), name="portal_cadre_import_template"),
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
        from .imports import RosterImportError, roster_import

        self._check_import_permission(request)
        errors = []
        error_summary = ""
        form = RosterImportForm(request.POST, request.FILES) if request.method == "POST" else RosterImportForm()
        if form.is_bound and form.is_valid():
            try:
                summary = roster_import(
                    actor=request.user,
                    uploaded_file=form.cleaned_data["file"],
                    create_missing_units=form.cleaned_data["create_missing_units"],
                )
            except RosterImportError as error:
                errors = error.errors
                error_summary = str(error)
            else:
                message = gettext(
                    "Roster imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged."
                ) % {"created": summary.created, "updated": summary.updated, "unchanged": summary.unchanged}
                if summary.units_created:
                    message += " " + gettext("New units: %(units)s.") % {"units": "、".join(summary.units_created)}
                self.message_user(request, message, messages.SUCCESS)
                return redirect(reverse("admin:portal_cadre_changelist"))
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


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "object_id", "actor__username", "action"]
    list_select_related = ["actor"]
    date_hierarchy = "at"

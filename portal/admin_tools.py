"""Admin building blocks shared by the portal's apps."""

import datetime

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ValidationError

from .audit import ADMIN_ADD, ADMIN_CHANGE, ADMIN_DELETE, audit_diff, audit_record, model_snapshot
from .numbers import parse_positive_int


class ReadOnlyAdminMixin:
    """A record kept for the record (audit trail, report versions, computed placings): viewable, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _OddDateChangeList(ChangeList):
    def get_filters(self, request):
        # Django's date_hierarchy turns "?at__year=١" (year 1) or a 20-digit year into a datetime and crashes with
        # OverflowError, there or in the query; as a bad lookup it is answered like any other (a redirect with ?e=1).
        year = self.get_filters_params().get(f"{self.date_hierarchy}__year") if self.date_hierarchy else None
        if year:
            try:
                in_range = datetime.MINYEAR < int(year[-1]) < datetime.MAXYEAR
            except (TypeError, ValueError):
                in_range = True  # not a number: Django's own check refuses it
            if not in_range:
                raise IncorrectLookupParameters(f"year out of range: {year[-1]!r}")
        try:
            return super().get_filters(request)
        except OverflowError as error:
            raise IncorrectLookupParameters(error) from error


class SafeDateHierarchyMixin:
    """For a ModelAdmin with date_hierarchy: a year, month or day out of range in the URL is a bad lookup, not a 500."""

    def get_changelist(self, request, **kwargs):
        return _OddDateChangeList


class AuditedAdminMixin:
    """Audit plain admin edits: adds, changes (also from list_editable), inline rows, and deletions.

    For a ModelAdmin whose edits have no consequences beyond the row itself (a unit's name, a display order).
    A field whose change has consequences is read-only in the admin and changes through a service instead, which
    audits it in its own words. Each add, change or delete of the model or of an inline row writes one entry,
    "<app>.<model>.admin_add" / "admin_change" / "admin_delete", with `{"field": [old, new]}` for the form's
    fields (only those that changed; a save that changes nothing writes nothing). Put it before ModelAdmin:
    `class UnitAdmin(AuditedAdminMixin, admin.ModelAdmin)`. `audit_exclude` names fields kept out of the trail.
    """

    audit_exclude: tuple[str, ...] = ()

    # --- the object itself -------------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        fields = self._audited_fields(obj._meta, form.fields)
        stored = _stored(type(obj), [obj.pk], fields).get(obj.pk) if change and obj.pk is not None else None
        before = model_snapshot(stored, fields) if stored is not None else {}
        super().save_model(request, obj, form, change)
        if any(obj._meta.get_field(name).many_to_many for name in fields):
            # Many-to-many values are saved after save_model (save_related): the entry is written there.
            form._audit_pending = (fields, before, change)
            return
        self._audit_saved(request, obj, fields, before, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        pending = getattr(form, "_audit_pending", None)
        if pending is not None:
            del form._audit_pending
            fields, before, change = pending
            self._audit_saved(request, form.instance, fields, before, change)

    def delete_model(self, request, obj):
        self._audit_deleted(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._audit_deleted(request, obj)
        super().delete_queryset(request, queryset)

    # --- inline rows ------------------------------------------------------------------------------------

    def save_formset(self, request, form, formset, change):
        model = formset.model
        fields = self._audited_fields(model._meta, formset.form.base_fields, skip=getattr(formset, "fk", None))
        deleted = set(formset.deleted_forms)
        touched = [
            f.instance.pk
            for f in formset.initial_forms
            if f.instance.pk is not None and (f in deleted or f.has_changed())
        ]
        # The rows as they are stored, read before the formset overwrites or deletes them.
        stored = _stored(model, touched, fields)
        for deleted_form in deleted:
            if deleted_form.instance.pk in stored:
                self._audit_deleted(request, stored[deleted_form.instance.pk], fields)
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            self._audit_saved(request, obj, fields, {}, change=False)
        for obj, _changed in formset.changed_objects:
            before = model_snapshot(stored[obj.pk], fields) if obj.pk in stored else {}
            self._audit_saved(request, obj, fields, before, change=True)

    # --- shared --------------------------------------------------------------------------------------------

    def audit_action(self, obj, verb: str) -> str:
        opts = obj._meta
        return f"{opts.app_label}.{opts.model_name}.{verb}"

    def _audited_fields(self, opts, form_fields, skip=None) -> list[str]:
        names = []
        for name in form_fields:
            if name in self.audit_exclude or (skip is not None and name == skip.name):
                continue
            try:
                field = opts.get_field(name)
            except FieldDoesNotExist:  # a form-only field (a confirmation box, an upload to process)
                continue
            if field.auto_created or not (field.concrete or field.many_to_many) or field.primary_key:
                continue
            names.append(name)
        return names

    def _audit_saved(self, request, obj, fields, before: dict, change: bool) -> None:
        after = model_snapshot(obj, fields)
        if change:
            changes = audit_diff(before, after)
            if not changes:
                return
        else:
            changes = audit_diff({}, _present(after))
        audit_record(
            actor=request.user,
            action=self.audit_action(obj, ADMIN_CHANGE if change else ADMIN_ADD),
            obj=obj,
            changes=changes,
        )

    def _audit_deleted(self, request, obj, fields=None) -> None:
        if fields is None:
            fields = self._audited_fields(obj._meta, [f.name for f in obj._meta.get_fields()])
        before = _present(model_snapshot(obj, fields))
        audit_record(
            actor=request.user, action=self.audit_action(obj, ADMIN_DELETE), obj=obj, changes=audit_diff(before, {})
        )


def _stored(model, pks, fields) -> dict:
    """The rows as stored, by pk, with the related rows their snapshot names loaded in the same query."""
    if not pks:
        return {}
    related = [name for name in fields if (f := model._meta.get_field(name)).many_to_one or f.one_to_one]
    return {row.pk: row for row in model._default_manager.filter(pk__in=pks).select_related(*related)}


def _present(snapshot: dict) -> dict:
    # An added or deleted row lists the values it has, not every empty field.
    return {key: value for key, value in snapshot.items() if value not in (None, "", [], {})}


class ParsedInitialMixin:
    """Drop add-page initial values (?unit=²) of relations that are not ids of the related model.

    Django passes them to the related-object widgets, whose query then fails with a 500; a value that cannot be
    an id is simply not used.
    """

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        for name, value in list(initial.items()):
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not field.is_relation or field.target_field is None:
                continue
            try:
                ids = [field.target_field.to_python(item) for item in (value if isinstance(value, list) else [value])]
            except ValidationError:
                del initial[name]
                continue
            # An integer id out of the column's range (10**20) would crash the query just the same.
            if any(isinstance(pk, int) and parse_positive_int(pk) is None for pk in ids):
                del initial[name]
        return initial

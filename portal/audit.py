"""One audit trail for every state change that matters, and the words staff read it in.

Services write entries with `audit_record`; the standard shape of `changes` is `{"field": [old, new], ...}`, which
`audit_diff(model_snapshot(obj, fields), ...)` builds so services need not hand-build diffs. Extra facts that are
not a change of a field (a file name, a count, a reason) go in as plain `{"key": value}`; older entries written as
`{"old": {...}, "new": {...}}` are read the same way by the audit admin.

Actions are dotted codes ("competition.publish_results"). Each app registers a translated label for its own codes
with `register_actions` (activities from its AppConfig.ready(), through activities/audit_actions.py): portal imports
no domain app, so the apps come to it. A code nobody registered is shown as it is.
"""

import datetime
import decimal
import uuid
from collections.abc import Iterable, Mapping

from django.core.exceptions import FieldDoesNotExist
from django.db.models.fields.files import FieldFile
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry

# The suffixes AuditedAdminMixin gives its actions ("<app>.<model>.admin_change"), with their generic labels.
ADMIN_ADD = "admin_add"
ADMIN_CHANGE = "admin_change"
ADMIN_DELETE = "admin_delete"
_GENERIC_LABELS = {
    ADMIN_ADD: _("Added in admin"),
    ADMIN_CHANGE: _("Changed in admin"),
    ADMIN_DELETE: _("Deleted in admin"),
}

_action_labels: dict[str, object] = {}


def register_actions(labels: Mapping[str, object]) -> None:
    """Give audit action codes their translated labels (lazy strings); call it from an AppConfig.ready()."""
    for action, label in labels.items():
        if not isinstance(action, str) or not action:
            raise ValueError(f"An audit action code is a non-empty string, not {action!r}.")
        _action_labels[action] = label


def registered_actions() -> dict[str, object]:
    """Every registered action code with its (lazy) label."""
    return dict(_action_labels)


def action_label(action: str) -> str:
    """The label staff read for an action code, in the active language; the code itself when none is registered."""
    label = _action_labels.get(action)
    if label is None:
        label = _GENERIC_LABELS.get(action.rpartition(".")[2])
    return str(label) if label is not None else action


register_actions(
    {
        "cadre.create": _("Add cadre"),
        "cadre.update": _("Change cadre"),
        "cadre.activate": _("Activate cadre"),
        "cadre.deactivate": _("Deactivate cadre"),
        "cadre.liaison_grant": _("Make liaison"),
        "cadre.liaison_revoke": _("Revoke liaison role"),
        "cadre.password_reset": _("Reset password"),
        "unit.credentials_issue": _("Issue initial passwords"),
        "unit.activate": _("Activate unit"),
        "unit.deactivate": _("Deactivate unit"),
        "user.password_change": _("Change own password"),
        "roster.import": _("Import roster"),
        "roster.import_request": _("Request roster import"),
        "roster.import_fail": _("Roster import failed"),
        "demo.seed": _("Create demo data"),
        "report.request": _("Request report"),
        "report.fail": _("Report failed"),
        "report.done": _("Report generated"),
    }
)


# --- The shape of changes ---------------------------------------------------------------------------------------


def audit_value(value):
    """A value as the audit trail stores it (JSON): dates as ISO text, decimals as text, objects by their name."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID | datetime.timedelta):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, Mapping):
        return {str(key): audit_value(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((audit_value(item) for item in value), key=str)
    if isinstance(value, list | tuple):
        return [audit_value(item) for item in value]
    return str(value)


def model_snapshot(obj, fields: Iterable[str]) -> dict:
    """The audited values of `fields` of a model instance, for `audit_diff`.

    A field given by name stores what staff recognise: a foreign key as the related object's name, a many-to-many
    field as the sorted names, a file as its name, a date as ISO text. Given by its attname ("unit_id") a foreign
    key stores the raw id. A name that is not a model field (a property) stores the attribute's value.
    Foreign keys and many-to-many fields are read from the database when not already loaded.
    """
    values = {}
    for name in fields:
        values[name] = _snapshot_value(obj, name)
    return values


def _snapshot_value(obj, name: str):
    try:
        field = obj._meta.get_field(name)
    except FieldDoesNotExist:
        return audit_value(getattr(obj, name, None))
    if field.many_to_many:
        if obj.pk is None:
            return []
        return sorted(str(related) for related in getattr(obj, field.name).all())
    if field.is_relation and (field.many_to_one or field.one_to_one) and field.concrete:
        if name == field.attname and name != field.name:
            return audit_value(getattr(obj, field.attname))
        if getattr(obj, field.attname) is None:
            return None
        return str(getattr(obj, field.name))
    if not field.concrete:
        return audit_value(getattr(obj, name, None))
    return audit_value(getattr(obj, field.attname))


def audit_diff(before: Mapping, after: Mapping) -> dict:
    """`{"field": [old, new]}` for every key whose value differs between two snapshots (missing counts as None)."""
    diff = {}
    for key in [*after, *(k for k in before if k not in after)]:
        old, new = audit_value(before.get(key)), audit_value(after.get(key))
        if old != new:
            diff[key] = [old, new]
    return diff


def audit_record(*, actor, action: str, obj=None, object_type: str = "", changes: dict | None = None) -> AuditEntry:
    """Write one audit entry; call it inside the service's transaction so it commits with the change.

    `changes` is `{"field": [old, new], ...}` (see `audit_diff`), plus any plain facts worth keeping; values are
    stored as `audit_value` makes them. The actor is recorded when authenticated (None: the system, a task).
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = str(obj.pk)
        object_repr = str(obj)[:200]
    else:
        object_id = object_repr = ""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        changes=audit_value(changes or {}),
    )

"""One audit trail for every state change that matters."""

from .models import AuditEntry


def audit_record(*, actor, action: str, obj=None, object_type: str = "", changes: dict | None = None) -> AuditEntry:
    """Write one audit entry; call it inside the service's transaction so it commits with the change."""
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
        changes=changes or {},
    )

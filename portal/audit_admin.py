"""The audit trail in the admin, as staff read it: who did what (in words) to which object, and what changed.

Registered from portal/admin.py. Rows are read-only. The page runs a fixed number of queries whatever the
number of entries: the actor and their cadre come with the entry (select_related); the object links, field names
and choice labels come from the model registry, not the database.
"""

from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .admin_tools import ReadOnlyAdminMixin, SafeDateHierarchyMixin
from .audit import ADMIN_DELETE, action_label
from .models import AuditEntry

User = get_user_model()

# The actor filter lists at most this many people (search finds the others by name or employee number).
ACTOR_FILTER_LIMIT = 100
# The changelist shows this many changed fields per entry; the entry's own page shows them all.
SUMMARY_LINES = 6
SUMMARY_VALUE_CHARS = 80
NO_ACTOR = "none"


def actor_name(user) -> str:
    """A person as staff know them: "name (employee number)", or the account name for a user with no cadre."""
    if user is None:
        return gettext("System")
    cadre = getattr(user, "cadre", None)
    if cadre is not None:
        return f"{cadre.name} ({cadre.employee_no})"
    full_name = user.get_full_name()
    return f"{full_name} ({user.username})" if full_name else user.username


def entry_model(object_type: str):
    """The model an entry's object_type ("app_label.model") names, or None."""
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model, key: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def field_label(model, key: str) -> str:
    """A changed field's name in the active language: the model field's verbose name when there is one."""
    field = _field(model, key)
    if field is None:
        return key
    if field.auto_created and not field.concrete:
        # A reverse relation ("members" of a team): name it after the related rows.
        return capfirst(str(field.related_model._meta.verbose_name_plural))
    return capfirst(str(getattr(field, "verbose_name", key)))


def format_value(value, field=None, *, limit: int | None = None) -> str:
    """One stored value, readable: choice labels, names of listed people, local times, yes/no, "—" for nothing."""
    if value is None or value == "" or value == [] or value == {}:
        text = "—"
    elif isinstance(value, bool):
        text = gettext("Yes") if value else gettext("No")
    elif isinstance(value, list):
        text = "、".join(format_value(item, field) for item in value)
    elif isinstance(value, dict):
        if "name" in value:
            text = str(value["name"])
        else:
            text = ", ".join(f"{key}: {format_value(item)}" for key, item in value.items())
    elif isinstance(value, str) and "T" in value and (moment := _parse_moment(value)) is not None:
        text = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    else:
        choices = dict(field.flatchoices) if field is not None and getattr(field, "choices", None) else {}
        text = str(choices.get(value, value))
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _parse_moment(value: str):
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None or timezone.is_naive(moment):
        return None
    return moment


def change_lines(entry: AuditEntry, *, limit: int | None = None) -> list[tuple[str, str, str | None]]:
    """The entry's changes as (field label, old or the fact's value, new or None for a fact) in display form.

    Reads both shapes in the trail: `{"field": [old, new]}` (the standard; a two-item list under a key that is not
    a field of the object's model is a plain fact, such as the units a roster import created) and the older
    `{"old": {...}, "new": {...}}`. Any other key is a fact (a file name, a count, a reason).
    """
    changes = entry.changes
    model = entry_model(entry.object_type)
    if not isinstance(changes, dict):
        return [("", format_value(changes, limit=limit), None)]
    old_new = set(changes) == {"old", "new"} and all(isinstance(changes[k], dict | None) for k in ("old", "new"))
    lines = []
    if old_new:
        old, new = changes["old"] or {}, changes["new"] or {}
        for key in [*new, *(k for k in old if k not in new)]:
            field = _field(model, key)
            lines.append(
                (
                    field_label(model, key),
                    format_value(old.get(key), field, limit=limit),
                    format_value(new.get(key), field, limit=limit),
                )
            )
        return lines
    for key, value in changes.items():
        field = _field(model, key)
        is_change = isinstance(value, list) and len(value) == 2 and (field is not None or model is None)
        if is_change:
            lines.append(
                (
                    field_label(model, key),
                    format_value(value[0], field, limit=limit),
                    format_value(value[1], field, limit=limit),
                )
            )
        else:
            lines.append((field_label(model, key), format_value(value, field, limit=limit), None))
    return lines


def _render_lines(lines) -> str:
    return format_html_join(
        "",
        "<div>{}</div>",
        (
            (format_html("{}: {} → {}", label, old, new) if new is not None else format_html("{}: {}", label, old),)
            for label, old, new in lines
        ),
    )


class ActorFilter(admin.SimpleListFilter):
    title = _("actor")
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        # Only people who appear in the trail, and a bounded number of them: one query whatever the trail's size.
        users = (
            User.objects.filter(pk__in=AuditEntry.objects.filter(actor__isnull=False).values("actor_id"))
            .select_related("cadre")
            .order_by("username")[:ACTOR_FILTER_LIMIT]
        )
        return [(NO_ACTOR, _("System (no person)")), *((str(user.pk), actor_name(user)) for user in users)]

    def queryset(self, request, queryset):
        value = self.value()
        if value == NO_ACTOR:
            return queryset.filter(actor__isnull=True)
        if value:
            if not (value.isascii() and value.isdigit() and len(value) < 19):
                return queryset.none()
            return queryset.filter(actor_id=int(value))
        return queryset


class ObjectTypeFilter(admin.SimpleListFilter):
    title = _("object type")
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        types = AuditEntry.objects.order_by().values_list("object_type", flat=True).distinct()
        choices = []
        for object_type in types:
            model = entry_model(object_type)
            choices.append((object_type, capfirst(str(model._meta.verbose_name)) if model else object_type))
        return sorted(choices, key=lambda choice: str(choice[1]))

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


class ActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        actions = AuditEntry.objects.order_by().values_list("action", flat=True).distinct()
        return sorted(((action, action_label(action)) for action in actions), key=lambda choice: choice[1])

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class AuditEntryAdmin(SafeDateHierarchyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "actor_display", "action_display", "object_display", "changes_summary"]
    list_display_links = ["at"]
    list_filter = [ActorFilter, ObjectTypeFilter, ActionFilter, ("at", admin.DateFieldListFilter)]
    search_fields = ["object_repr", "object_id", "actor__username", "actor__cadre__name"]
    search_help_text = _("Search by the object's name or id, or by the person's name or employee number.")
    list_select_related = ["actor__cadre"]
    date_hierarchy = "at"
    list_per_page = 50
    fields = ["at", "actor_display", "action_display", "object_display", "object_type", "object_id", "changes_display"]
    readonly_fields = fields

    @admin.display(description=_("actor"), ordering="actor__username")
    def actor_display(self, entry):
        if entry.actor_id is None:
            return actor_name(None)
        # The name filters the trail down to this person.
        return format_html(
            '<a href="?{}={}">{}</a>', ActorFilter.parameter_name, entry.actor_id, actor_name(entry.actor)
        )

    @admin.display(description=_("action"), ordering="action")
    def action_display(self, entry):
        return action_label(entry.action)

    @admin.display(description=_("object"), ordering="object_repr")
    def object_display(self, entry):
        model = entry_model(entry.object_type)
        text = entry.object_repr or entry.object_id or (capfirst(str(model._meta.verbose_name)) if model else "—")
        url = self.object_url(entry, model)
        return format_html('<a href="{}">{}</a>', url, text) if url else text

    def object_url(self, entry, model=None) -> str | None:
        """The admin change page of the entry's object, when its type is in the admin and it was not deleted."""
        model = model or entry_model(entry.object_type)
        if model is None or not entry.object_id or not self.admin_site.is_registered(model):
            return None
        if entry.action.endswith((f".{ADMIN_DELETE}", ".delete")):
            return None
        opts = model._meta
        try:
            return reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[entry.object_id],
                current_app=self.admin_site.name,
            )
        except NoReverseMatch:
            return None

    @admin.display(description=_("changes"))
    def changes_summary(self, entry):
        lines = change_lines(entry, limit=SUMMARY_VALUE_CHARS)
        shown = lines if len(lines) <= SUMMARY_LINES else lines[: SUMMARY_LINES - 1]
        html = _render_lines(shown)
        if len(shown) < len(lines):
            hidden = len(lines) - len(shown)
            more = ngettext("… and %(count)d more change", "… and %(count)d more changes", hidden) % {"count": hidden}
            html = format_html("{}<div>{}</div>", html, more)
        return html or "—"

    @admin.display(description=_("changes"))
    def changes_display(self, entry):
        return _render_lines(change_lines(entry)) or "—"


admin.site.register(AuditEntry, AuditEntryAdmin)

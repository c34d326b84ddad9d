"""Who may do what: role predicates over a user, and the one mixin that views use to enforce them.

An object outside the user's reach answers 404 (never 403) so that its existence is not revealed.
"""

from collections.abc import Callable

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connections
from django.db.models import Exists, OuterRef
from django.http import Http404

COMMITTEE_STAFF_GROUP = "committee_staff"
LEADERSHIP_GROUP = "leadership"

# Yes/no roles that domain apps add to the one roles query (portal imports no domain app): name -> a factory of a
# boolean expression over the user row, e.g. Exists(...filter(user_id=OuterRef("pk"))). See register_role_flag.
_ROLE_FLAGS: dict[str, Callable] = {}


def register_role_flag(name: str, expression: Callable) -> None:
    """Add a yes/no role to the query that loads a user's roles, read back with `role_flag(user, name)`.

    `expression()` returns a boolean expression over the user's row (`OuterRef("pk")` is the user's id). Apps
    register in `AppConfig.ready()`; a flag registered later is simply absent (role_flag answers None).
    """
    _ROLE_FLAGS[name] = expression
    _ROLES_SQL.clear()


# The roles query, compiled once per database: compiling it with the ORM on every request cost more than running it.
_ROLES_SQL: dict[str, tuple] = {}
_USER_ID_PLACEHOLDER = -7_302_026  # no account has it; replaced by the user's id in the compiled parameters


def _roles_sql(model, alias: str) -> tuple:
    if alias not in _ROLES_SQL:
        memberships = model.groups.through.objects.filter(user_id=OuterRef("pk"))
        flags = {
            "portal_in_staff_group": Exists(memberships.filter(group__name=COMMITTEE_STAFF_GROUP)),
            "portal_in_leadership_group": Exists(memberships.filter(group__name=LEADERSHIP_GROUP)),
            **{f"portal_flag_{name}": expression() for name, expression in _ROLE_FLAGS.items()},
        }
        cadre_model = model.cadre.related.related_model
        cadre_fields = [field.attname for field in cadre_model._meta.concrete_fields]
        rows = (
            model._default_manager.using(alias)
            .filter(pk=_USER_ID_PLACEHOLDER)
            .annotate(**flags)
            .values_list(*flags, *(f"cadre__{name}" for name in cadre_fields))
        )
        sql, params = rows.query.sql_with_params()
        where = [index for index, value in enumerate(params) if value == _USER_ID_PLACEHOLDER]
        _ROLES_SQL[alias] = (sql, params, where, list(flags), cadre_model, cadre_fields)
    return _ROLES_SQL[alias]


def _roles(user) -> dict:
    """The user's group roles and registered flags, fresh from the database once per request (cached on the user
    object, which lives for one request), in one query that also loads the user's cadre when it is not loaded yet.

    One query instead of one per role: every page with the navigation asks for all of them. Nothing is kept
    across requests, so a role taken away counts from the next request on, for the navigation and for every
    permission check alike.
    """
    if hasattr(user, "_portal_roles"):
        return user._portal_roles
    model = user._meta.model
    alias = user._state.db or "default"
    sql, params, where, flag_names, cadre_model, cadre_fields = _roles_sql(model, alias)
    params = list(params)
    for index in where:
        params[index] = user.pk
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:  # the account was deleted during the request
        row = (False,) * len(flag_names) + (None,) * len(cadre_fields)
    flags = dict(zip(flag_names, row[: len(flag_names)], strict=True))
    roles = {
        "committee_staff": bool(flags["portal_in_staff_group"]),
        "leadership": bool(flags["portal_in_leadership_group"]),
        **{name: bool(flags[f"portal_flag_{name}"]) for name in _ROLE_FLAGS if f"portal_flag_{name}" in flags},
    }
    cadre_link = model.cadre.related
    if not cadre_link.is_cached(user):
        values = row[len(flag_names) :]
        cadre = None
        if values[cadre_fields.index(cadre_model._meta.pk.attname)] is not None:
            cadre = cadre_model.from_db(alias, cadre_fields, values)
            cadre_model.user.field.set_cached_value(cadre, user)
        cadre_link.set_cached_value(user, cadre)  # None: `user.cadre` raises DoesNotExist without a query
    user._portal_roles = roles
    return roles


def _group_names(user) -> frozenset:
    """The names of the portal's role groups the user belongs to (from the one roles query)."""
    roles = _roles(user)
    return frozenset(
        name
        for name, held in ((COMMITTEE_STAFF_GROUP, roles["committee_staff"]), (LEADERSHIP_GROUP, roles["leadership"]))
        if held
    )


def role_flag(user, name: str) -> bool | None:
    """A flag registered with `register_role_flag`, loaded with the user's roles; None when not registered."""
    if not user.is_authenticated:
        return False
    return _roles(user).get(name)


def cadre_of(user):
    """The user's Cadre, or None (anonymous users and pure staff accounts have none).

    Loaded together with the user's roles (one query for both) unless the cadre is loaded already.
    """
    if not user.is_authenticated:
        return None
    if not user._meta.model.cadre.related.is_cached(user):
        _roles(user)
    try:
        return user.cadre
    except user._meta.model.cadre.RelatedObjectDoesNotExist:
        return None


def is_committee_staff(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and (user.is_superuser or _roles(user)["committee_staff"])
    )


def is_leadership(user) -> bool:
    return bool(user.is_authenticated and user.is_active and _roles(user)["leadership"])


def is_liaison(user) -> bool:
    cadre = cadre_of(user)
    return bool(cadre and cadre.is_active and cadre.is_liaison)


def is_liaison_of(user, unit) -> bool:
    cadre = cadre_of(user)
    return bool(cadre and cadre.is_active and cadre.is_liaison and cadre.unit_id == unit.pk)


def can_view_unit(user, unit) -> bool:
    """Staff and leadership see every unit; a liaison sees only their own."""
    return is_committee_staff(user) or is_leadership(user) or is_liaison_of(user, unit)


def role_labels(user) -> list:
    """The roles a user holds, as translated labels for display."""
    from django.utils.translation import gettext as _

    labels = []
    if is_committee_staff(user):
        labels.append(_("Committee staff"))
    if is_leadership(user):
        labels.append(_("Leadership"))
    if is_liaison(user):
        labels.append(_("Unit liaison"))
    if cadre_of(user) is not None:
        labels.append(_("Cadre"))
    return labels


class PortalAccessMixin(LoginRequiredMixin):
    """Login required, then the view's `has_access(user)` decides; an object out of reach is a 404.

    Object views call `self.require(predicate_result)` once they have loaded their object.
    """

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.has_access(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def has_access(self, user) -> bool:
        return True

    @staticmethod
    def require(allowed: bool):
        if not allowed:
            raise Http404

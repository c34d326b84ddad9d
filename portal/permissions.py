"""Who may do what: role predicates over a user, and the one mixin that views use to enforce them.

An object outside the user's reach answers 404 (never 403) so that its existence is not revealed.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404

COMMITTEE_STAFF_GROUP = "committee_staff"
LEADERSHIP_GROUP = "leadership"


def _group_names(user) -> frozenset:
    # Cached on the user object: a page asks several predicates but should query groups once.
    if not hasattr(user, "_portal_group_names"):
        user._portal_group_names = frozenset(user.groups.values_list("name", flat=True))
    return user._portal_group_names


def cadre_of(user):
    """The user's Cadre, or None (anonymous users and pure staff accounts have none)."""
    if not user.is_authenticated:
        return None
    try:
        return user.cadre
    except user._meta.model.cadre.RelatedObjectDoesNotExist:
        return None


def is_committee_staff(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and (user.is_superuser or COMMITTEE_STAFF_GROUP in _group_names(user))
    )


def is_leadership(user) -> bool:
    return bool(user.is_authenticated and user.is_active and LEADERSHIP_GROUP in _group_names(user))


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

"""Navigation flags of the activities app, evaluated only when a template asks for them."""

from django.db.models import Exists, OuterRef

from portal.context_processors import register_navigation_flag
from portal.permissions import is_committee_staff, register_role_flag, role_flag

REFEREE_FLAG = "activities_referee"


def referee_assignments():
    """Whether the user (OuterRef("pk")) referees any competition: a flag of the one roles query."""
    from .models import Competition

    return Exists(Competition.referees.through.objects.filter(user_id=OuterRef("pk")))


def user_is_referee(user) -> bool:
    """Whether the referee pages are open to the user (staff, or a referee of a competition), from the roles query."""
    if not user.is_authenticated:
        return False
    if is_committee_staff(user):
        return True
    flag = role_flag(user, REFEREE_FLAG)
    if flag is None:  # not registered (an app configuration without ready()): ask directly
        from .views.referee import is_referee

        return is_referee(user)
    return flag


def register_roles():
    """Called from ActivitiesConfig.ready(): the referee flag joins the query that loads a user's roles, and the
    navigation bar shows the referee link by it."""
    register_role_flag(REFEREE_FLAG, referee_assignments)
    register_navigation_flag("referee", user_is_referee)


def activity_roles(request):
    def is_referee():
        user = getattr(request, "user", None)  # none on a request refused before authentication (400)
        return user is not None and user_is_referee(user)

    return {"is_referee": is_referee}

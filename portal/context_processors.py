from django.contrib.auth.models import AnonymousUser

from .permissions import cadre_of, is_committee_staff, is_leadership, is_liaison


def portal_roles(request):
    """Role flags for the navigation; evaluated lazily so pages that do not ask run no queries."""
    # A request refused before AuthenticationMiddleware ran (a bad Host header: the 400 page) has no user.
    user = getattr(request, "user", None) or AnonymousUser()

    class Roles:
        @property
        def cadre(self):
            return cadre_of(user)

        @property
        def is_staff(self):
            return is_committee_staff(user)

        @property
        def is_leadership(self):
            return is_leadership(user)

        @property
        def is_liaison(self):
            return is_liaison(user)

    return {"roles": Roles()}

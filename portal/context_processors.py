import re

from django.contrib.auth.models import AnonymousUser

from .permissions import cadre_of, is_committee_staff, is_leadership, is_liaison


class NavigationRoles:
    """Role flags for the navigation, evaluated lazily: a page that asks for none runs no query, and one that asks
    for all runs one (permissions._roles loads the cadre, the groups and the apps' flags together)."""

    __slots__ = ("_user",)

    def __init__(self, user):
        self._user = user

    @property
    def cadre(self):
        return cadre_of(self._user)

    @property
    def is_staff(self):
        return is_committee_staff(self._user)

    @property
    def is_leadership(self):
        return is_leadership(self._user)

    @property
    def is_liaison(self):
        return is_liaison(self._user)


def portal_roles(request):
    """`roles` (see NavigationRoles) and `navigation`, the navigation bar for `{{ navigation }}` (see Navigation)."""
    # A request refused before AuthenticationMiddleware ran (a bad Host header: the 400 page) has no user.
    roles = NavigationRoles(getattr(request, "user", None) or AnonymousUser())
    return {"roles": roles, "navigation": Navigation(request, roles)}


# Links that domain apps add to the navigation bar: name -> predicate(user). See register_navigation_flag.
NAVIGATION_FLAGS: dict = {}


class Navigation:
    """The navigation bar, rendered once per worker for each language and combination of roles, then served with
    this request's CSRF token, path and name filled in.

    Rendering the bar's template cost about as much as the rest of a cached page; what varies between people is
    only which links they have (their roles, fresh from this request's one roles query), their name, the form's
    CSRF token and the current path, so those are put in after rendering (escaped, as the template would).
    """

    TOKEN, PATH, NAME = "PORTALNAVxTOKEN", "PORTALNAVxPATH", "PORTALNAVxNAME"
    MARKERS = re.compile("|".join((TOKEN, PATH, NAME)))
    _rendered: dict = {}  # per worker: (language, roles) -> HTML with the three markers; a few dozen entries at most

    def __init__(self, request, roles):
        self.request, self.roles = request, roles

    def __html__(self):
        from django.middleware.csrf import get_token
        from django.template.loader import render_to_string
        from django.utils.html import escape
        from django.utils.safestring import mark_safe
        from django.utils.translation import get_language

        user = getattr(self.request, "user", None) or AnonymousUser()
        signed_in = user.is_authenticated
        cadre = self.roles.cadre if signed_in else None
        nav = {"signed_in": signed_in}
        if signed_in:
            nav.update(
                cadre=cadre is not None,
                liaison=self.roles.is_liaison,
                leadership=self.roles.is_leadership,
                staff=self.roles.is_staff,
                **{name: bool(predicate(user)) for name, predicate in NAVIGATION_FLAGS.items()},
            )
        key = (get_language(), tuple(nav.items()))
        html = self._rendered.get(key)
        if html is None:
            context = {
                "nav": nav,
                "csrf_token": self.TOKEN,
                "next_path": self.PATH,
                "display_name": self.NAME,
            }
            html = self._rendered[key] = render_to_string("partials/navbar.html", context)
        name = (cadre.name if cadre is not None and cadre.name else user.get_username()) if signed_in else ""
        values = {
            self.TOKEN: escape(get_token(self.request)),
            self.PATH: escape(self.request.get_full_path()),
            self.NAME: escape(name),
        }
        # One pass, so a marker inside a filled-in value (a path can hold anything) is left as it is.
        return mark_safe(self.MARKERS.sub(lambda match: values[match.group(0)], html))  # noqa: S308 - escaped above

    def __str__(self):
        return self.__html__()


def register_navigation_flag(name: str, predicate) -> None:
    """Let a domain app show a link in the navigation bar: `predicate(user)` says whether the signed-in user gets
    it, and the bar's template reads `nav.<name>` (portal imports no domain app)."""
    NAVIGATION_FLAGS[name] = predicate
    Navigation._rendered.clear()

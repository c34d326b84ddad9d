"""Portal middleware: language choice, and the first-login password change."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .permissions import cadre_of


class PortalLocaleMiddleware:
    """Simplified Chinese unless the person chose English with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language; on an intranet where
    browsers ship with English defaults that would show English to people who never asked for it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class ForcePasswordChangeMiddleware:
    """Send a cadre who still has the initial password to the password-change page first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cadre = cadre_of(request.user) if hasattr(request, "user") else None
        if cadre is not None and cadre.must_change_password:
            allowed = {
                reverse("password_change"),
                reverse("password_change_done"),
                reverse("logout"),
                reverse("set_language"),
            }
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                return redirect(f"{reverse('password_change')}?first=1")
        return self.get_response(request)

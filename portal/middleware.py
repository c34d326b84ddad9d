"""Portal middleware: language choice, the first-login password change, and the size of anonymous requests."""

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext

from .numbers import parse_positive_int
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


class AnonymousBodyLimitMiddleware:
    """Refuse large bodies from visitors who are not signed in, before anything reads them.

    Anybody can reach the login form, so anybody could make a worker read and parse megabytes of form data
    (DATA_UPLOAD_MAX_MEMORY_SIZE is sized for staff uploads). Anonymous requests may send at most
    ANONYMOUS_MAX_BODY_BYTES (413 above it); a body of unknown length (chunked) is refused with 411. Django only
    reads as many bytes as Content-Length announces, so the header is what has to be checked.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = settings.ANONYMOUS_MAX_BODY_BYTES

    def __call__(self, request):
        if self._has_body(request) and not request.user.is_authenticated:
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    @staticmethod
    def _has_body(request) -> bool:
        meta = request.META
        return bool(meta.get("CONTENT_LENGTH") not in (None, "", "0") or meta.get("HTTP_TRANSFER_ENCODING"))

    def _refusal(self, request):
        raw = request.META.get("CONTENT_LENGTH") or ""
        if not raw:
            return HttpResponse(
                gettext("Send the length of the request (Content-Length)."), status=411, content_type="text/plain"
            )
        length = parse_positive_int(raw)
        if length is None:
            return HttpResponse(gettext("Invalid request length."), status=400, content_type="text/plain")
        if length > self.limit:
            return HttpResponse(
                gettext("The request is too large. Sign in first if you need to upload a file."),
                status=413,
                content_type="text/plain",
            )
        return None


class RejectNulCharactersMiddleware:
    """Answer 400 to a path or query string holding a NUL character.

    PostgreSQL text cannot hold NUL, so "?q=%00" reaching any filter or search (the admin's included) would be a
    DataError and a 500. Forms already refuse NUL in their fields (Django's ProhibitNullCharactersValidator); the
    URL is the one input no form sees, and no legitimate link contains it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            raise BadRequest("NUL character in the URL")
        return self.get_response(request)

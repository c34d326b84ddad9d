import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views import View
from django.views.generic import TemplateView
from django.views.static import serve

from . import credentials, permissions, selectors, services, throttle
from .errors import PortalError
from .forms import EmployeeNumberLoginForm, PortalPasswordChangeForm, UnitCadreSearchForm
from .models import Unit
from .numbers import parse_positive_int


class HomeView(TemplateView):
    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(figures=selectors.home_figures(), **kwargs)


class LoginView(auth_views.LoginView):
    """Login by employee number; an address throttled for failed logins (portal.throttle) gets a 429 page."""

    form_class = EmployeeNumberLoginForm
    redirect_authenticated_user = True
    throttled_template_name = "registration/login_throttled.html"

    def post(self, request, *args, **kwargs):
        # Checked before the form: a throttled attempt never reaches the password check.
        wait = throttle.login_blocked(request)
        if wait:
            return self.throttled(wait)
        response = super().post(request, *args, **kwargs)
        # The backend refuses too (it guards the admin's login form as well), e.g. when the limit was reached
        # by another request since the check above.
        wait = getattr(request, "portal_login_throttled", 0)
        return self.throttled(wait) if wait else response

    def throttled(self, wait: int):
        response = TemplateResponse(
            self.request, self.throttled_template_name, {"minutes": max(1, math.ceil(wait / 60))}, status=429
        )
        response["Retry-After"] = str(wait)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PortalPasswordChangeForm
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        services.password_change(user=form.user, new_password=form.cleaned_data["new_password1"])
        # Keeps this session logged in (the session hash follows the password) and logs out the others.
        update_session_auth_hash(self.request, form.user)
        return HttpResponseRedirect(self.get_success_url())


class MyPageView(permissions.PortalAccessMixin, TemplateView):
    template_name = "portal/my_page.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            cadre=permissions.cadre_of(user), role_labels=permissions.role_labels(user), **kwargs
        )


class MyUnitView(permissions.PortalAccessMixin, View):
    """The liaison's shortcut to their own unit's page."""

    def has_access(self, user):
        return permissions.is_liaison(user)

    def get(self, request):
        return redirect("portal:unit_detail", pk=permissions.cadre_of(request.user).unit_id)


class UnitDetailView(permissions.PortalAccessMixin, TemplateView):
    """A unit's page: its cadres (phones masked) with search, a status filter and paging.

    The list part (filters, table, paging) is cached under the unit's cadre version (`selectors.unit_page_state`,
    one query that also loads the unit), so a repeated view costs that query and the permission check; searches
    are rendered fresh. The permission is checked on fresh data on every request, before the cache is read.
    """

    template_name = "portal/unit_detail.html"
    paginate_by = 50
    list_template = "portal/unit_cadres.html"
    list_fingerprint = selectors.templates_fingerprint("portal/unit_cadres.html", "partials/pagination.html")

    def get_context_data(self, **kwargs):
        unit = selectors.unit_page_state(self.kwargs["pk"])
        if unit is None:
            raise Http404
        self.require(permissions.can_view_unit(self.request.user, unit))
        form = UnitCadreSearchForm(self.request.GET or None)
        valid = form.is_valid() if form.is_bound else True
        search = form.cleaned_data.get("q", "") if valid and form.is_bound else ""
        active = form.active_filter() if form.is_bound else None
        # Bad page numbers show the first page (parse_positive_int refuses them), so they share its cache entry.
        page_number = parse_positive_int(self.request.GET.get("page")) or 1
        query = self.request.GET.copy()
        query.pop("page", None)
        query = query.urlencode()

        def build():
            cadres = selectors.unit_cadres(unit=unit, search=search, active=active)
            page = Paginator(cadres, self.paginate_by).get_page(page_number)
            context = {"form": form, "page_obj": page, "cadres": page.object_list, "query": query}
            return {"count": page.paginator.count, "body": render_to_string(self.list_template, context)}

        if search or not valid:
            part = build()
        else:
            parts = (self.list_fingerprint, unit.pk, unit.cadres_version, get_language(), active, page_number, query)
            part = selectors.cached_fragment("portal:unit-cadres", parts, build)
        return super().get_context_data(
            unit=unit,
            cadre_count=part["count"],
            cadres_body=mark_safe(part["body"]),  # noqa: S308 - our own template's output
            **kwargs,
        )


class UnitCredentialsView(permissions.PortalAccessMixin, TemplateView):
    """A liaison issues initial passwords for their unit's cadres who have not logged in yet, as a workbook.

    GET explains what happens (earlier printed passwords not yet used stop working) and asks to confirm;
    POST issues them and answers with the workbook, which holds the only copy of the passwords.
    Only the liaison of this unit; anyone else gets 404. Staff issue passwords in the admin.
    """

    template_name = "portal/unit_credentials.html"

    def has_access(self, user):
        return permissions.is_liaison(user)

    def get_unit(self):
        unit = get_object_or_404(Unit, pk=self.kwargs["pk"])
        self.require(permissions.is_liaison_of(self.request.user, unit))
        return unit

    def get_context_data(self, **kwargs):
        unit = self.get_unit()
        return super().get_context_data(unit=unit, pending=credentials.credentials_pending_count(unit=unit), **kwargs)

    def post(self, request, *args, **kwargs):
        unit = self.get_unit()
        try:
            issued = credentials.credentials_issue(actor=request.user, unit=unit)
        except PortalError as error:
            messages.error(request, str(error))
            return redirect("portal:unit_credentials", pk=unit.pk)
        workbook = credentials.credentials_workbook([(unit.name, issued)])
        return credentials.workbook_response(workbook, f"initial-passwords-{unit.code}")


def healthz(request):
    """Liveness for the container health check: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def robots_txt(request):
    return HttpResponse("User-agent: *\nDisallow: /\n", content_type="text/plain")


def media_file(request, path):
    """An uploaded file from MEDIA_ROOT, in development only (urls.py adds the URL when PORTAL_SERVE_MEDIA)."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)

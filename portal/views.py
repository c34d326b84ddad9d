from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.views import View
from django.views.generic import TemplateView

from . import permissions, selectors, services
from .forms import EmployeeNumberLoginForm, PortalPasswordChangeForm, UnitCadreSearchForm
from .models import Unit


class HomeView(TemplateView):
    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(figures=selectors.home_figures(), **kwargs)


class LoginView(auth_views.LoginView):
    form_class = EmployeeNumberLoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PortalPasswordChangeForm
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=self.request.user)
        return response


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
    """A unit's page: its cadres (phones masked) with search, a status filter and paging."""

    template_name = "portal/unit_detail.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        unit = get_object_or_404(Unit, pk=self.kwargs["pk"])
        self.require(permissions.can_view_unit(self.request.user, unit))
        form = UnitCadreSearchForm(self.request.GET or None)
        search = form.cleaned_data.get("q", "") if form.is_valid() else ""
        cadres = selectors.unit_cadres(unit=unit, search=search, active=form.active_filter())
        page = Paginator(cadres, self.paginate_by).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            unit=unit, form=form, page_obj=page, cadres=page.object_list, query=query.urlencode(), **kwargs
        )


def healthz(request):
    """Liveness for the container health check: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def robots_txt(request):
    return HttpResponse("User-agent: *\nDisallow: /\n", content_type="text/plain")

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

app_patterns = (
    [
        path("", views.HomeView.as_view(), name="home"),
        path("me/", views.MyPageView.as_view(), name="my_page"),
        path("units/mine/", views.MyUnitView.as_view(), name="my_unit"),
        path("units/<int:pk>/", views.UnitDetailView.as_view(), name="unit_detail"),
    ],
    "portal",
)

urlpatterns = [
    path("", include(app_patterns)),
    path("activities/", include("activities.urls")),
    path("reports/", include("portal.reports.urls")),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt),
    path("admin/", admin.site.urls),
]

admin.site.site_header = admin.site.site_title = settings.PORTAL_SITE_TITLE
admin.site.index_title = settings.PORTAL_ADMIN_INDEX_TITLE

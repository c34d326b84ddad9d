from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from . import views

app_patterns = (
    [
        path("", views.HomeView.as_view(), name="home"),
        path("me/", views.MyPageView.as_view(), name="my_page"),
        path("units/mine/", views.MyUnitView.as_view(), name="my_unit"),
        path("units/<id:pk>/", views.UnitDetailView.as_view(), name="unit_detail"),
        path("units/<id:pk>/credentials/", views.UnitCredentialsView.as_view(), name="unit_credentials"),
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

if settings.PORTAL_SERVE_MEDIA:
    # Development (DEBUG) only: uploaded posters straight from MEDIA_ROOT. In production nginx serves /media/
    # from the same volume (portal/deploy/nginx.conf, docker-compose.yml); Django's serve() is not built for it.
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.append(re_path(rf"^{media_prefix}(?P<path>.+)$", views.media_file, name="media"))

admin.site.site_header = admin.site.site_title = settings.PORTAL_SITE_TITLE
admin.site.index_title = settings.PORTAL_ADMIN_INDEX_TITLE

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.ReportListView.as_view(), name="list"),
    path("generate/", views.ReportGenerateView.as_view(), name="generate"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("<id:pk>/status/", views.ReportStatusView.as_view(), name="status"),
    path("<id:pk>/download/", views.ReportDownloadView.as_view(), name="download"),
]

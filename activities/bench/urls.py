"""The product's URLconf plus the benchmark's anchors under /bench/ (see activities.bench.settings)."""

from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns

from . import views

urlpatterns = [
    path("bench/bare/", views.bare, name="bench_bare"),
    path("bench/naive/units/<id:pk>/", views.NaiveUnitCadres.as_view(), name="bench_naive_unit"),
    path("bench/naive/activities/", views.NaiveActivities.as_view(), name="bench_naive_activities"),
    path("bench/naive/schedule/", views.NaiveSchedule.as_view(), name="bench_naive_schedule"),
    path("bench/naive/competitions/<id:pk>/<int:round_no>/", views.NaiveRound.as_view(), name="bench_naive_round"),
    *portal_urlpatterns,
]

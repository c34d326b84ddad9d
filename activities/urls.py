from .views import cadre, liaison, public, referee, signup

app_name = "activities"

urlpatterns = [
    *public.urlpatterns,
    *cadre.urlpatterns,
    *signup.urlpatterns,
    *liaison.urlpatterns,
    *referee.urlpatterns,
]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Events and competitions")

    def ready(self):
        # seed_demo lives in portal, which imports no domain app: the demo season joins it through the registry.
        from portal.demo_registry import register_demo_seeder

        from .demo import seed_activities_demo

        register_demo_seeder("activities", seed_activities_demo)
        # The audit trail's labels for this app's actions, registered on import.
        from . import audit_actions  # noqa: F401

        # The referee flag joins the one query that loads a user's roles for the navigation.
        from .context_processors import register_roles

        register_roles()

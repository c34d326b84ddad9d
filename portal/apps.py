from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal: units and cadres")

    def ready(self):
        from .converters import register as register_url_converters
        from .roles import grant_role_permissions

        # Before any URL module is imported: every app's URL patterns use `<id:pk>`.
        register_url_converters()

        # The unit page's cached list of cadres is keyed on its unit's stamp, which every cadre write moves.
        from .services import connect_roster_stamps

        connect_roster_stamps()

        # Permissions only exist after migrate has created them, so grants run after every migrate.
        post_migrate.connect(grant_role_permissions, dispatch_uid="portal.grant_role_permissions")

        # The reports package lives inside portal: load its Celery tasks and admin, then each app's reports.py.
        from .imports import admin as imports_admin  # noqa: F401
        from .imports import tasks as imports_tasks  # noqa: F401
        from .reports import admin as reports_admin  # noqa: F401
        from .reports import tasks as reports_tasks  # noqa: F401
        from .reports.registry import autodiscover_reports

        autodiscover_reports()

        # Staff changes during the demo season: registered first, so every app's season sees who was where.
        from .demo_history import seed_staff_changes
        from .demo_registry import register_demo_seeder

        register_demo_seeder("staff changes", seed_staff_changes)

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal: units and cadres")

    def ready(self):
        from .roles import grant_role_permissions

        # Permissions only exist after migrate has created them, so grants run after every migrate.
        post_migrate.connect(grant_role_permissions, dispatch_uid="portal.grant_role_permissions")

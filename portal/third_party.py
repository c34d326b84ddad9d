"""Chinese names for the third-party apps that committee staff see in the admin.

Their own catalogues lack zh_Hans (django-axes) or leave app and model names untranslated
(django-celery-results); these strings are marked here so our catalogue carries them.
"""

from axes.apps import AppConfig as AxesBaseConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_celery_results.apps import CeleryResultConfig

THIRD_PARTY_STRINGS = [
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Username"),
    gettext_noop("IP Address"),
    gettext_noop("User Agent"),
    gettext_noop("Attempt Time"),
    gettext_noop("Failed Logins"),
    gettext_noop("Logout Time"),
    gettext_noop("Path"),
    gettext_noop("group result"),
    gettext_noop("group results"),
    gettext_noop("task result"),
    gettext_noop("task results"),
]


class AxesConfig(AxesBaseConfig):
    verbose_name = _("Login security")


class CeleryResultsConfig(CeleryResultConfig):
    verbose_name = _("Background task results")

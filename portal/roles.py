"""The committee-staff and leadership groups and what they may do in the admin."""

from django.contrib.auth.models import Group, Permission

from .permissions import COMMITTEE_STAFF_GROUP, LEADERSHIP_GROUP

# Staff manage everything that belongs to the portal's own apps (and read the Celery records).
STAFF_APP_LABELS = ["portal", "activities", "clubs", "reading", "volunteers", "budget"]
STAFF_READ_ONLY_APP_LABELS = ["django_celery_results", "django_celery_beat", "axes"]
# Deleting a failed-login record is how staff unlock a locked-out account.
STAFF_EXTRA_PERMISSIONS = [("axes", "delete_accessattempt"), ("axes", "delete_accessfailurelog")]


def grant_role_permissions(sender=None, **kwargs):
    """Give the committee-staff group every permission on the portal's apps; idempotent."""
    staff, _ = Group.objects.get_or_create(name=COMMITTEE_STAFF_GROUP)
    Group.objects.get_or_create(name=LEADERSHIP_GROUP)
    wanted = Permission.objects.filter(content_type__app_label__in=STAFF_APP_LABELS) | Permission.objects.filter(
        content_type__app_label__in=STAFF_READ_ONLY_APP_LABELS, codename__startswith="view_"
    )
    for app_label, codename in STAFF_EXTRA_PERMISSIONS:
        wanted |= Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    staff.permissions.add(*wanted)

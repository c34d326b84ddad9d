"""Admin building blocks shared by the portal's apps."""


class ReadOnlyAdminMixin:
    """A record kept for the record (audit trail, report versions, computed placings): viewable, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

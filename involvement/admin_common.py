"""Small pieces the portal's admin classes share."""


class ReadOnlyMixin:
    """For a ModelAdmin or inline showing records nobody edits (history, bookings, the record
    of personal data requests): they are made by the portal and kept as they were. Viewing
    stays with the usual view permission."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

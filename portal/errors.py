"""Errors that services raise when a business rule is broken; their messages are translated."""

from django.utils.translation import gettext


class PortalError(Exception):
    """A broken business rule; `str(error)` is a message fit to show the user."""


class NotPermitted(PortalError):
    """The actor may not do this."""


class Busy(PortalError):
    """Someone else holds the rows this change needs for longer than the lock timeout: try again in a moment.

    Raised by portal.locking instead of letting the request hang. The transaction it was raised in is spoilt
    (PostgreSQL aborts it): let the error leave the atomic block, and show the message.
    """

    def __init__(self, message: str | None = None):
        super().__init__(message or gettext("Someone else is changing this right now. Please try again in a moment."))

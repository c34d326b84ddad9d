"""Errors that services raise when a business rule is broken; their messages are translated."""


class PortalError(Exception):
    """A broken business rule; `str(error)` is a message fit to show the user."""


class NotPermitted(PortalError):
    """The actor may not do this."""

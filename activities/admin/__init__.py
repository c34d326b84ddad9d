"""The committee staff's admin for events and competitions; one module per part, registered on import."""

from . import activities, competitions, results  # noqa: F401

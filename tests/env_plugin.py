"""Loaded by pytest before Django's settings (`-p tests.env_plugin` in pyproject's addopts).

DEBUG defaults to off so that a forgotten variable in production never runs the debug pages. The
test suite runs the development shape (SQLite, eager Celery, the development secret), so it asks for
DEBUG here, before pytest-django imports the settings; an explicit DEBUG in the environment still wins.
"""

import os

os.environ.setdefault("DEBUG", "true")

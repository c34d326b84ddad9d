"""Quarterly and annual summary workbooks: the contribution registry, the builder, the Celery task, the pages.

Each domain app contributes its figures and its own sheet through `<app>/reports.py` (see `registry`), found when
the apps load, so this package imports no domain app. Nothing is imported here: `portal.models` imports
`portal.reports.models` while the apps are still loading.
"""

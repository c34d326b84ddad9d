"""Benchmark-only pieces: the anchor views `bench_pages` measures the portal's pages against, their URLconf and
the settings module that selects it. Only the gunicorn started by `bench_pages` loads them; the product's
URLconf (portal.urls) never includes them.
"""

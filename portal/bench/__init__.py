"""Benchmark helpers that are too big for a management command: the report benchmark's data loader and its
hand-written SQL floor (PostgreSQL only). Nothing here runs in production."""

"""Writes on activities and competitions: one module per part of the domain."""

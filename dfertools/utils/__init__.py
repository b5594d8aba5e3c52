"""Utilities; ``compat`` is imported by the package root first."""

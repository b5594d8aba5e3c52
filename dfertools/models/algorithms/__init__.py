"""dfertools.models.algorithms."""

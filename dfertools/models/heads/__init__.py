"""dfertools.models.heads."""

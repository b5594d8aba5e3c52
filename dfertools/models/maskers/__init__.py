"""dfertools.models.maskers."""

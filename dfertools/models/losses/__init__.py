"""dfertools.models.losses."""

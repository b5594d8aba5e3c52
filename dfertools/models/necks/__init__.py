"""dfertools.models.necks."""

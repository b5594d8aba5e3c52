"""dfertools.models.data_preprocessors."""

"""dfertools.models.soft_masks."""

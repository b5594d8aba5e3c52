"""dfertools.models.backbones."""

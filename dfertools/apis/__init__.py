"""dfertools.apis."""

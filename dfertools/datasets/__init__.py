"""dfertools.datasets."""

"""dfertools.datasets.transforms."""

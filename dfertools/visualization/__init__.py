"""dfertools.visualization."""

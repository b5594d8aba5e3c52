"""dfertools.engine."""

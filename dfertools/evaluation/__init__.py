"""dfertools.evaluation."""

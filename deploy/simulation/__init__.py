"""The OPD-day simulation: the original scenario driven through the real services."""

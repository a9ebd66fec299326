"""The OPD-day simulation: the original scenario through the real services, and a stochastic day through the
allocation domain on a virtual clock (with policy comparisons); both report the same figures and charts."""

"""Type support: annotations to interfaces, value checks, and the on-disk codec."""

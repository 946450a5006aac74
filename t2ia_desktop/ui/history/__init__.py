"""The Image history dock and its list model."""

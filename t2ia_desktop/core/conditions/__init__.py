"""Condition types as registered descriptors, and the plugins that add more."""

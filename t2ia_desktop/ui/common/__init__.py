"""Widgets and helpers every part of the UI may use."""

"""Command line: the GUI by default, and headless commands for scripting and tests."""

"""The condition dock, the preview dock and the controls built from parameter specs."""

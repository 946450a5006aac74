"""The model of the app: plain Python, numpy and Pillow. No Qt, no torch."""

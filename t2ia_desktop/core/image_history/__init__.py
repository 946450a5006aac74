"""The image history: every finished picture on disk, and searching it."""

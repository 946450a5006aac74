"""The bridge between the UI and the engine: a worker thread that owns torch, and the job runner.

Nothing here imports torch at module level; the engine is imported inside the worker thread.
"""

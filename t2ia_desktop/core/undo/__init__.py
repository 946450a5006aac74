"""Undo and redo: commands that store only what changed, and the stack that holds them."""

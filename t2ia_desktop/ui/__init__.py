"""The Qt user interface: the window, the canvas and its panels.

Nothing here imports torch, diffusers or the engine, so the window appears before torch loads.
"""

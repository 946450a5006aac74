"""Generating from the window: Generate, the queue's menu entries and results, live mode."""

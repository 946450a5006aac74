"""The Generate panel and its sections."""

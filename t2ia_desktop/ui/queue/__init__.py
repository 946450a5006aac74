"""The queue panel: one row per job."""

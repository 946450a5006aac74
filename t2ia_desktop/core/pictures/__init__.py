"""Pictures from other programs: Photoshop files, colour profiles, transparency keys."""

"""Which engine makes the pictures (this computer or a server), and how many jobs run at once."""

"""What guides the UNet besides the prompt: T2I-Adapter features and their injection."""

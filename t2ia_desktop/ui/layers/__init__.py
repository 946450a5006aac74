"""The layers panel and the undo steps dock."""

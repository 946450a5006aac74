"""The document: layers, selection, generation area and the pixel work on them."""

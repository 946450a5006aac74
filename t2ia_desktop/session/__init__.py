"""The open document and what works on it, with no widgets: what a window shows and a
test drives."""

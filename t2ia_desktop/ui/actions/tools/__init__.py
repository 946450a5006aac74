"""The tools' side of the window: painting tools, colours and the view, selections,
transform, the generation area."""

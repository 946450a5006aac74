"""The canvas widget: the document drawn on paper, the view transform, overlays."""

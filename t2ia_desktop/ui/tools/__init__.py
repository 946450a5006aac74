"""The painting, selection and transform tools that act through the canvas."""

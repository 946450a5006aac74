"""Dialogs: new document, canvas size, outpaint, settings, plugins, model manager."""

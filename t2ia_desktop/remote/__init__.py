"""The client of the t2ia server (``t2ia-desktop serve``): :class:`RemoteEngine` implements the
engine seam the worker uses, over HTTP + WebSocket. No torch, no Qt, no Ray: the app's UI
side and the command line import it freely."""

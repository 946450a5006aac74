"""The engine as a Ray Serve application (``t2ia-desktop serve``, the ``server`` extra): a
FastAPI ingress (HTTP + WebSocket) before an engine deployment whose replicas each own one
:class:`~t2ia_desktop.engine.generate.Engine`. The client is :mod:`t2ia_desktop.remote`."""

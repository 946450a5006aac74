"""Torch side: pipelines, adapters, detectors, the demo model. Never imports Qt.

Importing the package itself is light; the modules that load torch call ``quiet_libraries``.
"""

from __future__ import annotations

import warnings


def quiet_libraries() -> None:
    """Keep the libraries' progress bars and deprecation chatter off the artist's terminal."""
    for module in ("timm", "controlnet_aux", "diffusers", "transformers", "torch.jit"):
        warnings.filterwarnings("ignore", category=FutureWarning, module=module)
        warnings.filterwarnings("ignore", category=UserWarning, module=module)
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=module)
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    diffusers_logging.set_verbosity_error()
    diffusers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()


"""Cancelling a condition layer's detector run.

A detector (Zoe depth at a high resolution takes tens of seconds on a CPU) cannot be stopped
mid-call, so a Cancel drops its result: the layer keeps its previous control image, with a
note that says so, and the detector finishes unseen on its own thread.
"""

from __future__ import annotations

from t2ia_desktop.core.document.document import Layer
from t2ia_desktop.runtime.condition_updates import ConditionUpdater

CANCELLED_NOTE = ("Detection cancelled: the previous control image is kept. "
                  "Re-detect to run it again.")
CANCEL_TIP = ("Cancel this detection: the layer keeps its previous control image. A detector "
              "cannot be stopped mid-run, so it finishes in the background and its result is "
              "dropped; the next detection starts once it has ended.")


def cancel_detection(updater: ConditionUpdater, layer: Layer) -> bool:
    """Cancel ``layer``'s pending or running detection; False when there was none."""
    if not updater.scheduler.cancel(layer.id):
        return False
    if layer.condition is not None:
        layer.condition.error = CANCELLED_NOTE
        if layer in updater.document.layers:
            updater.document.layer_changed.emit(layer)
    return True

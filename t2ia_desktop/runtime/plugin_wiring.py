"""What condition layers do after "Reload plugins".

The registry object is shared by the UI, the detector thread and the generation worker (the
factories in runtime/previews.py and runtime/worker.py take it); a reload swaps its contents,
so each of them sees the new condition types on its next use.
"""

from __future__ import annotations

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.runtime.condition_updates import ConditionUpdater, source_image


def refresh_condition_layers(updater: ConditionUpdater) -> list[str]:
    """After a plugin reload: keep each condition layer's settings, re-detect the layers whose
    type is still there, and tell those whose type went away. Returns the names of those.

    Settings are kept wherever the new type still accepts them; a parameter the new version
    dropped is let go, and a new one starts at its default.
    """
    registry = updater.registry
    document = updater.document
    missing = []
    for layer in document.condition_layers():
        settings = layer.condition
        if layer.kind != "condition" or settings is None:
            continue
        if settings.condition not in registry:
            missing.append(layer.name)
            settings.error = (f"The condition {settings.condition!r} is not available any more "
                              "(its plugin was disabled, removed or failed to load): see "
                              "Help → Plugins…. Its settings are kept.")
            updater.scheduler.forget(layer.id)
            document.layer_changed.emit(layer)
            continue
        kind = registry.get(settings.condition)
        kept = {}
        for spec in kind.params:
            value = settings.params.get(spec.name, spec.default)
            try:
                spec.check(value)
            except BadInput:
                value = spec.default
            kept[spec.name] = value
        settings.params.clear()  # a parameter the new version dropped would be refused
        settings.params.update(kept)
        settings.error = ""
        document.layer_changed.emit(layer)
        if not settings.detached:
            source = document.layer_by_id(settings.source_id)
            if source is not None:
                updater.scheduler.schedule(
                    layer.id, settings.condition, kept,
                    lambda source=source: source_image(source))
    return missing

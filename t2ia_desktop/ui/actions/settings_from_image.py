"""File → Open settings from image…, and a picture dropped on the Generate panel.

Either fills the Generate panel from what the picture carries: our request JSON, an A1111
``parameters`` text, or ComfyUI's, InvokeAI's, NovelAI's or Fooocus' settings.
The status bar says what came back and what did not (values the
panel cannot take, fields it does not know); a picture without settings gets a clear message
and the panel stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QDropEvent
from PySide6.QtWidgets import QAbstractScrollArea, QDockWidget, QFileDialog, QMenu, QWidget

from t2ia_desktop.core.conditions.a1111_units import ControlUnit
from t2ia_desktop.core.conditions.guides import guide_label
from t2ia_desktop.core.document.document import Layer
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.parameters_text import (
    SOURCE_WORDS,
    ImageSettings,
    read_image_settings,
    resolve_loras,
)
from t2ia_desktop.core.generation.sdxl_extras import WORDS
from t2ia_desktop.core.generation.settings import GenerationSettings
from t2ia_desktop.session.session import Session

PICTURE_SUFFIXES = (".png", ".webp", ".jpg", ".jpeg")
SETTING_WORDS = {"prompt": "prompt", "negative_prompt": "negative prompt", "model": "model",
                 "steps": "steps", "guidance_scale": "guidance", "seed": "seed",
                 "adapter_conditioning_factor": "step fraction", "scheduler": "sampler",
                 "width": "size", "height": "size", "family": "family", **WORDS}


class SettingsFromImage(QObject):
    """The action and the drop target; ``choose_file`` asks for a picture ("" = cancelled)."""

    def __init__(self, generation_settings: GenerationSettings, generate_panel: QWidget,
                 generate_dock: QDockWidget, *, say: Callable[[str], None],
                 parent: QWidget, session: Session | None = None) -> None:
        """A picture's settings go into ``generation_settings``, the guides of its controls
        into ``session``'s condition layers of the same conditions (one undo step); pictures
        dropped on ``generate_panel`` are read; ``generate_dock`` comes to the front to show
        what came back, and ``say`` tells it in the status bar. The file dialog opens over
        ``parent``."""
        super().__init__(parent)
        self.generation_settings = generation_settings
        self.session = session
        self.generate_dock = generate_dock
        self.say = say
        self.parent_widget = parent
        self.action = QAction("Open settings from &image…", parent)
        self.action.setToolTip("Fill the Generate panel with the settings a picture was made "
                               "with (t2ia desktop, A1111, ComfyUI, InvokeAI, NovelAI or "
                               "Fooocus pictures); you can also drop the picture on the "
                               "Generate panel")
        self.action.triggered.connect(self.open_dialog)
        self.choose_file = self._ask_file
        self.last_message = ""
        self._watch(generate_panel)

    def install(self, file_menu: QMenu, import_action: QAction | None) -> None:
        """Put the action in the File menu, after ``import_action`` (at the end when the
        menu does not have it)."""
        actions = file_menu.actions()
        after = next((actions[i + 1] for i, a in enumerate(actions[:-1])
                      if a is import_action), None)
        file_menu.insertAction(after, self.action)

    def _ask_file(self) -> str:
        path, _ = QFileDialog.getOpenFileName(
            self.parent_widget, "Open settings from image", "",
            "Pictures with settings (*.png *.webp *.jpg *.jpeg);;All files (*)")
        return path

    def open_dialog(self) -> None:
        path = self.choose_file()
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path) -> ImageSettings | None:
        """Fill the Generate panel from ``path``; None (and a message) when it cannot."""
        name = Path(path).name
        try:
            found = read_image_settings(path)
        except BadInput as error:
            self._tell(f"No settings restored: {error}.")
            return None
        settings = self.generation_settings
        # LoRA tags are looked for where the artist's LoRAs are
        resolve_loras(found, list(dict.fromkeys(Path(path).parent for path, _w, _on in
                                                settings.loras)))
        known = set(settings.to_dict())
        ignored = settings.update_from_dict(found.settings)
        left = sorted({SETTING_WORDS.get(n, n) for n in found.settings
                       if n not in known or n in ignored})
        self.generate_dock.raise_()
        source = SOURCE_WORDS.get(found.source, "its settings")
        text = f"Restored the settings of {name} from {source}"
        if left:
            text += f"; kept the current {', '.join(left)} (not available here)"
        guides = self.restore_guides(found.controls)
        if guides:
            text += "; " + guides
        if found.notes:
            text += "; " + "; ".join(found.notes)
        self._tell(text + ".")
        return found

    def restore_guides(self, controls: list[ControlUnit]) -> str:
        """Give each condition layer the guide the picture's control of the same condition
        had (the n-th control of a condition to its n-th layer, bottom first), as one undo
        step; what was done, in words ("" when the picture had no controls)."""
        if self.session is None or not controls:
            return ""
        layers: dict[str, list[Layer]] = {}
        for layer in self.session.document.condition_layers():
            layers.setdefault(layer.condition.condition, []).append(layer)
        changed, missing = [], []
        with self.session.edits.group("Guides from a picture"):
            for unit in controls:
                if not layers.get(unit.condition):
                    missing.append(f"{unit.condition} ({guide_label(unit.guide)})")
                    continue
                layer = layers[unit.condition].pop(0)
                if layer.condition.guide != unit.guide:
                    self.session.edits.set_condition(layer, "guide", unit.guide)
                    changed.append(f"{layer.name} by {guide_label(unit.guide)}")
        words = [f"guided {', '.join(changed)}"] if changed else []
        if missing:
            words.append(f"no condition layer for its {', '.join(missing)}: add one to use it")
        return "; ".join(words)

    def _tell(self, text: str) -> None:
        self.last_message = text
        self.say(text)

    # -- dropping a picture on the Generate panel ----------------------------------------------
    def _watch(self, panel: QWidget) -> None:
        """Take picture drops on the panel and on its text boxes (which would paste the path)."""
        panel.setAcceptDrops(True)
        targets = [panel]
        targets += [area.viewport() for area in panel.findChildren(QAbstractScrollArea)]
        for target in targets:
            target.installEventFilter(self)

    @staticmethod
    def dropped_picture(event) -> str | None:
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return None
        urls = [url for url in mime.urls() if url.isLocalFile()]
        if len(urls) != 1 or not urls[0].toLocalFile().lower().endswith(PICTURE_SUFFIXES):
            return None
        return urls[0].toLocalFile()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            path = self.dropped_picture(event)
            if path is None:
                return False
            event.acceptProposedAction()
            if kind == QEvent.Type.Drop and isinstance(event, QDropEvent):
                self.open_file(path)
            return True
        return False

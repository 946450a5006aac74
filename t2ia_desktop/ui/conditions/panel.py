"""The condition dock: settings of the selected condition layer.

Its detector's parameters get controls built from the condition's :class:`ParamSpec`\\ s; each
change goes through :meth:`ConditionUpdater.set_params`, whose scheduler debounces a slider drag
into one or two detector runs, so the controls stay live while the detector works elsewhere.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from t2ia_desktop.core.document.document import SOURCE_KINDS, Document, Layer
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.session.session import Session
from t2ia_desktop.ui.common.guide_combo import GuideCombo, family_note
from t2ia_desktop.ui.common.step_range import StepRangeEditor
from t2ia_desktop.ui.common.styles import EDITED_STYLE, EDITED_TIP, ERROR_STYLE, NOTE_STYLE
from t2ia_desktop.ui.common.widgets import DocumentPanel, buddy_label, conditioning_scale_slider
from t2ia_desktop.ui.conditions.param_editors import ParamEditor, make_editor

PLACEHOLDER = ("Select a condition layer in Layers to tune it here.\n\n"
               "Add one with Layer → Add condition layer, or drop a photo on the canvas and "
               "choose a remix.")


class ConditionPanel(DocumentPanel):
    """Edits one condition layer (``set_layer``); empty with a hint when there is none."""

    paint_requested = Signal(object)  # the Layer the artist wants to paint on by hand
    status_shown = Signal(object)  # the Layer whose status (error, busy…) was just shown

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        """Shows the session's current condition layer; changes are undo steps."""
        super().__init__(parent)
        if session.updater is None:
            raise ValueError("the condition dock needs a session that detects conditions")
        self.document = session.document
        self.updater = updater = session.updater
        self.edits = session.edits
        self.registry = updater.registry
        self.layer: Layer | None = None
        self.family = "sdxl"
        self.editors: dict[str, ParamEditor] = {}
        self._updating = False

        self.placeholder = QLabel(PLACEHOLDER)
        self.placeholder.setWordWrap(True)
        self.placeholder.setEnabled(False)

        self.title_label = QLabel()
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.description_label = QLabel()
        self.description_label.setWordWrap(True)
        self.description_label.setEnabled(False)
        self.family_label = QLabel()
        self.family_label.setWordWrap(True)
        self.family_label.setStyleSheet(NOTE_STYLE)

        self.source_combo = QComboBox()
        self.source_combo.setToolTip("The layer the detector reads; pick another to re-bind it")
        self.source_combo.activated.connect(self._on_source_chosen)
        self.enabled_check = QCheckBox("Use when generating")
        self.enabled_check.setToolTip("Send this control to Generate (apart from showing it)")
        self.enabled_check.toggled.connect(self._on_enabled)
        self.guide_combo = GuideCombo()
        self.guide_combo.setObjectName("guide_combo")
        self.guide_combo.guide_chosen.connect(self._on_guide_chosen)
        self.scale_slider = conditioning_scale_slider(
            "Conditioning scale: how strongly this control steers the picture. "
            "0 ignores it, 1 is the adapter's normal strength, 2 follows it rigidly."
        )
        self.scale_slider.valueChanged.connect(self._on_scale)
        self.scale_slider.slider.sliderReleased.connect(self.edits.seal)
        self.step_range = StepRangeEditor()
        self.step_range.range_edited.connect(self._on_step_range)

        self.params_box = QWidget()
        self.params_form = QFormLayout(self.params_box)
        self.params_form.setContentsMargins(0, 0, 0, 0)
        self.params_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.redetect_button = QPushButton("Re-detect")
        self.redetect_button.setToolTip(
            "Run the detector on the source again, and follow it again if hand-edited (Ctrl+R)"
        )
        self.redetect_button.clicked.connect(self.redetect)
        self.paint_button = QPushButton("Paint on it")
        self.paint_button.setToolTip(
            "Fix the control image by hand with the brush (white; Alt+click picks a colour, the "
            "eraser paints black). It then stops following its source until Re-detect."
        )
        self.paint_button.clicked.connect(lambda: self.paint_requested.emit(self.layer))
        self.status_label = QLabel()
        self.status_label.setObjectName("condition_status")
        self.status_label.setWordWrap(True)
        # The one place a failure is told in full: it wraps to the dock's width (a long path
        # or URL never widens the dock, whose width would be saved with the layout).
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                        QSizePolicy.Policy.MinimumExpanding)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(buddy_label("Source", self.source_combo), self.source_combo)
        form.addRow(buddy_label("Guide", self.guide_combo), self.guide_combo)
        form.addRow(buddy_label("Strength", self.scale_slider), self.scale_slider)
        form.addRow(buddy_label("Steps", self.step_range.start_spin), self.step_range)
        form.addRow("", self.enabled_check)
        buttons = QHBoxLayout()
        buttons.addWidget(self.redetect_button)
        buttons.addWidget(self.paint_button)
        buttons.addStretch(1)

        self.editor_box = QWidget()
        box = QVBoxLayout(self.editor_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.title_label)
        box.addWidget(self.description_label)
        box.addWidget(self.family_label)
        box.addLayout(form)
        box.addWidget(self.params_box)
        box.addLayout(buttons)
        box.addWidget(self.status_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.placeholder)
        layout.addWidget(self.editor_box)
        layout.addStretch(1)

        self._listen(session)
        updater.layer_busy.connect(self._on_busy)
        session.current_condition_changed.connect(self.set_layer)
        self._busy = False
        self.set_layer(session.current_condition)

    def _bind(self, document: Document) -> None:
        self.connections.connect(document.layer_changed, self._on_layer_changed)
        self.connections.connect(document.layer_added, self._on_layers_changed)
        self.connections.connect(document.layer_removed, self._on_layers_changed)

    def set_document(self, document: Document) -> None:
        """Edit another document's condition layers (a new or opened one); shows none."""
        self._follow(document)
        self.set_layer(None)

    # -- showing a layer ----------------------------------------------------------------------
    def set_layer(self, layer: Layer | None) -> None:
        """Show ``layer``'s settings; rebuilds the parameter controls for its condition."""
        if layer is not None and (layer.kind != "condition" or layer.condition is None):
            layer = None
        changed_kind = (layer is None or self.layer is None
                        or layer.condition.condition != self.layer.condition.condition)
        self.layer = layer
        self._busy = layer is not None and self.updater.scheduler.is_busy(layer.id)
        self.placeholder.setVisible(layer is None)
        self.editor_box.setVisible(layer is not None)
        if changed_kind:
            self._build_editors()
        self.refresh()

    def set_family(self, family: str) -> None:
        self.family = family
        self.refresh()

    def rebuild(self) -> None:
        """Build the shown layer's parameter controls again from the registry, whose condition
        types may have changed (plugins reloaded)."""
        layer = self.layer
        self.set_layer(None)
        self.set_layer(layer)

    def _build_editors(self) -> None:
        while self.params_form.rowCount():
            self.params_form.removeRow(0)
        self.editors = {}
        if self.layer is None or self.layer.condition.condition not in self.registry:
            return
        kind = self.registry.get(self.layer.condition.condition)
        for spec in kind.params:
            editor = make_editor(spec)
            editor.setObjectName(f"param_{spec.name}")
            editor.changed.connect(lambda value, name=spec.name: self._on_param(name, value))
            editor.finished.connect(self.edits.seal)
            self.editors[spec.name] = editor
            if spec.kind == "bool":  # the checkbox carries its own label
                self.params_form.addRow("", editor)
            else:
                self.params_form.addRow(buddy_label(spec.label or spec.name, editor), editor)
        self.params_box.setVisible(bool(kind.params))

    def refresh(self) -> None:
        """Show the layer's current values, without rebuilding (a drag is not interrupted)."""
        layer = self.layer
        if layer is None:
            return
        settings = layer.condition
        kind = self.registry.get(settings.condition) if settings.condition in self.registry \
            else None
        self._updating = True
        try:
            self.title_label.setText(layer.name)
            self.description_label.setText(kind.description if kind else "")
            note = family_note(kind, settings.guide, self.family) if kind else ""
            self.family_label.setText(note)
            self.family_label.setVisible(bool(note))
            self.guide_combo.show_guide(kind, settings.guide, self.family)
            self._fill_sources()
            self.enabled_check.setChecked(settings.enabled)
            self.scale_slider.blockSignals(True)
            self.scale_slider.setValue(settings.conditioning_scale)
            self.scale_slider.blockSignals(False)
            self.step_range.set_range(settings.step_start, settings.step_end)
            for name, editor in self.editors.items():
                if name in settings.params:
                    editor.set_value(settings.params[name])
        finally:
            self._updating = False
        self._show_status()

    def _fill_sources(self) -> None:
        settings = self.layer.condition
        self.source_combo.clear()
        for candidate in reversed(self.document.layers):
            if candidate.kind in SOURCE_KINDS:
                self.source_combo.addItem(candidate.name, candidate.id)
        index = self.source_combo.findData(settings.source_id)
        if index < 0:
            self.source_combo.insertItem(0, "(deleted: choose a source)", None)
            index = 0
        self.source_combo.setCurrentIndex(index)

    def _show_status(self) -> None:
        settings = self.layer.condition
        if settings.error:
            self.status_label.setStyleSheet(ERROR_STYLE)
            self.status_label.setText(settings.error)
            self.status_label.setToolTip(settings.error)
        elif settings.detached:
            self.status_label.setStyleSheet(EDITED_STYLE)
            self.status_label.setText("Hand-edited: it no longer follows its source.")
            self.status_label.setToolTip(EDITED_TIP)
        elif not self._busy and self.layer.id in self.updater.notes:
            self.status_label.setStyleSheet(NOTE_STYLE)
            self.status_label.setText(self.updater.notes[self.layer.id])
            self.status_label.setToolTip("What the detector chose for this layer")
        else:
            self.status_label.setStyleSheet("")
            self.status_label.setText("Updating…" if self._busy else "")
            self.status_label.setToolTip("What the detector is doing for this layer")
        self.status_shown.emit(self.layer)

    # -- edits --------------------------------------------------------------------------------
    def redetect(self) -> None:
        if self.layer is not None:
            self.edits.redetect(self.layer)

    def _on_param(self, name: str, value: object) -> None:
        if self.layer is None or self._updating:
            return
        try:
            self.edits.set_params(self.layer, **{name: value})
        except BadInput as error:  # a spec the editor's range did not cover
            self.layer.condition.error = str(error)
            self.document.layer_changed.emit(self.layer)

    def _on_source_chosen(self, index: int) -> None:
        source_id = self.source_combo.itemData(index)
        if self.layer is None or source_id is None:
            return
        self.edits.set_source(self.layer, source_id)

    def _on_guide_chosen(self, guide: str) -> None:
        if self.layer is not None and not self._updating:
            self.edits.set_condition(self.layer, "guide", guide)

    def _on_enabled(self, enabled: bool) -> None:
        if self.layer is not None and not self._updating:
            self.edits.set_condition(self.layer, "enabled", enabled)

    def _on_scale(self, scale: float) -> None:
        if self.layer is not None and not self._updating:
            self.edits.set_condition(self.layer, "conditioning_scale", scale)

    def _on_step_range(self, start: float, end: float) -> None:
        if self.layer is not None and not self._updating:
            self.edits.set_condition(self.layer, "step_start", round(start, 2))
            self.edits.set_condition(self.layer, "step_end", round(end, 2))

    # -- model signals ------------------------------------------------------------------------
    def _on_layer_changed(self, layer: Layer) -> None:
        if self.layer is not None and (layer is self.layer or layer.kind in SOURCE_KINDS):
            self.refresh()

    def _on_layers_changed(self, _layer: Layer) -> None:
        if self.layer is not None and self.layer not in self.document.layers:
            self.set_layer(None)
        elif self.layer is not None:
            self.refresh()

    def _on_busy(self, layer: Layer, busy: bool) -> None:
        if layer is self.layer:
            self._busy = busy
            self._show_status()

"""Fixtures for the tool tests: a painting canvas shown on a session of its own, and that
session's undo stack."""

from __future__ import annotations

import pytest

from t2ia_desktop.core.document.document import Document
from t2ia_desktop.core.undo.stack import UndoStack
from t2ia_desktop.session.session import Session
from t2ia_desktop.session.tool_state import ToolState
from t2ia_desktop.ui.canvas.view import CanvasView
from tests.ui.helpers import shown_canvas


@pytest.fixture
def session(document: Document) -> Session:
    return Session(document)


@pytest.fixture
def undo(session: Session) -> UndoStack:
    return session.undo


@pytest.fixture
def canvas(qtbot, session: Session, tool_state: ToolState) -> CanvasView:
    return shown_canvas(qtbot, session, tool_state)

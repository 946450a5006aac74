"""The recovery folder's format: a description of any shape is read as well as it can be and
never raises; the document carries its own description; a folder without a document that holds
only the session's own files is the only kind that may go."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from t2ia_desktop.core.files.project import save_project
from t2ia_desktop.core.files.recovery import (
    DOCUMENT,
    INFO,
    LOCK,
    UNKNOWN_TIME,
    RecoveryInfo,
    format_time,
    holds_nothing_else,
    holds_work,
    info_from_json,
    read_info,
    timestamp,
)
from tests.core.files.recovery_cases import (
    BAD_TIMES,
    DESCRIPTION_KEYS,
    DOCUMENTS,
    INFO_FILES,
    JSON,
    put,
    recovery_documents,
    sketch,
)

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, bytes]:
    return recovery_documents(tmp_path_factory.mktemp("documents"))

@pytest.mark.parametrize("saved_at", BAD_TIMES)
def test_a_timestamp_that_is_no_time_is_an_unknown_time(saved_at):
    info = info_from_json({"name": "harbour.t2ia", "original": "/art/harbour.t2ia",
                           "saved_at": saved_at})
    assert info is not None
    assert info.saved_at is None
    assert info.describe() == f"“harbour.t2ia” (its file: {Path('/art/harbour.t2ia')}), " \
                              f"{UNKNOWN_TIME}"


def test_each_field_is_checked_on_its_own():
    info = info_from_json({"name": 5, "original": "/art/harbour.t2ia", "saved_at": 1.7e9})
    assert info.name == "harbour.t2ia"  # the file's name, the name being no text
    assert info.saved_at == 1.7e9
    info = info_from_json({"name": "a\x00b\nc" + "x" * 500, "original": ["/art"]})
    assert info.original is None
    assert info.name.startswith("abc")
    assert len(info.name) == 200
    assert info_from_json({"original": "bad\x00path"}).original is None
    assert info_from_json({}).describe().startswith("“Untitled” (never saved), ")
    for no_description in ([], "text", 5, None):
        assert info_from_json(no_description) is None


@PROPERTY
@given(st.one_of(JSON, DESCRIPTION_KEYS))
def test_no_description_raises(data):
    info = info_from_json(data)
    if info is not None:
        assert info.describe()
        assert info.saved_at is None or 0 < info.saved_at < math.inf
        assert isinstance(info.sort_key, float)


def test_times_no_platform_shows_are_unknown():
    assert timestamp(3e11) is None  # after the year 9999
    assert format_time(None) is None
    assert format_time(1e300) is None  # what no platform can show
    assert format_time(math.nan) is None
    assert format_time(1_700_000_000.0)


def test_the_document_carries_its_description(tmp_path):
    description = RecoveryInfo("harbour.t2ia", Path("/art/harbour.t2ia"), 1_700_000_000.0,
                               described=True)
    save_project(sketch(), tmp_path / DOCUMENT, {"steps": 3}, recovery=description.to_json())
    (tmp_path / INFO).write_text(json.dumps({"name": "older", "saved_at": 5}))
    assert read_info(tmp_path) == description  # the document's own, not the one beside it


def test_an_earlier_versions_description_beside_the_document_is_read(tmp_path):
    save_project(sketch(), tmp_path / DOCUMENT)
    (tmp_path / INFO).write_text(json.dumps({"name": "harbour.t2ia", "original": None,
                                             "saved_at": 1_700_000_000}))
    info = read_info(tmp_path)
    assert (info.name, info.saved_at, info.described) == ("harbour.t2ia", 1.7e9, True)


def test_without_a_description_the_file_time_tells_when(tmp_path):
    save_project(sketch(), tmp_path / DOCUMENT)
    os.utime(tmp_path / DOCUMENT, (1_700_000_000, 1_700_000_000))
    info = read_info(tmp_path)
    assert not info.described
    assert info.saved_at == 1_700_000_000
    assert info.describe() == (f"Unsaved work written {format_time(1_700_000_000)} (its "
                               "description is missing or damaged)")
    (tmp_path / INFO).write_text(json.dumps({"name": "sea", "saved_at": "yesterday"}))
    assert read_info(tmp_path).describe().startswith("“sea” (never saved), written ")


@settings(PROPERTY, max_examples=150)
@given(DOCUMENTS, INFO_FILES)
def test_any_damage_is_read_as_well_as_can_be(documents, document, info_file):
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        put(folder / DOCUMENT, documents.get(document, document))
        put(folder / INFO, info_file)
        info = read_info(folder)  # never raises
        assert info.describe()
        assert holds_work(folder) == (document != "missing")
        if document == "described":
            assert info.name == "sea.t2ia"
            assert info.saved_at == 1.7e9


def test_only_a_folder_of_the_sessions_own_files_holds_no_work(tmp_path):
    for name in (LOCK, INFO, f".{DOCUMENT}.x1y2.tmp", f".{INFO}.abc"):
        (tmp_path / name).write_bytes(b"")
    assert not holds_work(tmp_path)
    assert holds_nothing_else(tmp_path)
    (tmp_path / "sketch.png").write_bytes(b"")
    assert not holds_nothing_else(tmp_path)
    assert not holds_nothing_else(tmp_path / "no such folder")
    (tmp_path / DOCUMENT).symlink_to(tmp_path / "gone.t2ia")
    assert holds_work(tmp_path)  # even a broken link: the artist decides

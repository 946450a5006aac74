"""The one format-version check of the files the app writes (projects, the queue file)."""

from __future__ import annotations

import pytest

from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.format_version import check_format_version


@pytest.mark.parametrize("version", [1, 2])
def test_every_version_up_to_the_supported_one_is_read(version):
    assert check_format_version({"format_version": version}, 2, "project") == version


@pytest.mark.parametrize("version", [None, 0, -1, True, 1.0, "1"])
def test_a_version_that_is_not_a_whole_number_from_one_is_refused(version):
    data = {} if version is None else {"format_version": version}
    with pytest.raises(BadInput, match=f"its format version {version!r} is not valid"):
        check_format_version(data, 1, "project")


def test_a_newer_file_names_the_app_that_wrote_it_and_what_to_do():
    data = {"format_version": 3, "app_version": "9.1"}
    with pytest.raises(BadInput, match=r"^it was made by a newer version of t2ia desktop 9\.1 "
                                       r"\(project format 3; this app reads up to 1\); "
                                       r"update the app$"):
        check_format_version(data, 1, "project")
    with pytest.raises(BadInput, match=r"written by a newer version of t2ia desktop \(queue "
                                       r"format 3; .*update the app to run those jobs$"):
        check_format_version({"format_version": 3, "app_version": "x" * 40}, 1, "queue",
                             written="written", remedy="update the app to run those jobs")


def test_the_caller_chooses_the_error():
    def bad(reason: str) -> ValueError:
        return ValueError(f"art.t2ia cannot be opened: {reason}")

    with pytest.raises(ValueError, match="^art.t2ia cannot be opened: its format version"):
        check_format_version({"format_version": 0}, 1, "project", bad=bad)

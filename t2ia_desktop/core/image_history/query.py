"""Searching the image history: prompt words, condition, model, date range and stars.

Pure Python, so the browser's logic is tested without Qt; the history dock only draws it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta

from t2ia_desktop.core.conditions.guides import GUIDES
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.generation.request import GenerationRequest
from t2ia_desktop.core.generation.sdxl_extras import PAIR_FIELDS, SDXL_SETTINGS, pair_or_none
from t2ia_desktop.core.image_history.index_file import entry_guides
from t2ia_desktop.core.image_history.store import HistoryEntry

NO_CONTROLS = ""
"""The condition filter value for results made without any control (free painting)."""

DATE_RANGES: tuple[tuple[str, int | None], ...] = (
    ("Any time", None),
    ("Today", 0),
    ("Past 7 days", 6),
    ("Past 30 days", 29),
    ("Past year", 364),
)
"""Date range choices the browser offers: (label, days before today that still count)."""


@dataclass(frozen=True)
class HistoryFilter:
    """Which entries to show. ``None`` in ``condition`` or ``model`` means any."""

    text: str = ""
    condition: str | None = None
    guide: str | None = None  # with a condition: that condition guided by it
    model: str | None = None
    since: float | None = None  # seconds since the epoch, inclusive
    until: float | None = None  # seconds since the epoch, exclusive
    starred_only: bool = False

    def with_changes(self, **changes: object) -> HistoryFilter:
        return replace(self, **changes)

    def matches(self, entry: HistoryEntry, starred: set[str] | frozenset[str] = frozenset()
                ) -> bool:
        """Whether ``entry`` passes: every word of ``text`` is in its prompt (any case), and
        the condition, guide, model, dates and star agree."""
        if self.starred_only and entry.id not in starred:
            return False
        if self.model is not None and entry.model != self.model:
            return False
        if self.condition is not None:
            if self.condition == NO_CONTROLS:
                if entry.conditions:
                    return False
            elif self.condition not in entry.conditions:
                return False
        if self.guide is not None and not any(
                guide == self.guide and self.condition in (None, condition)
                for condition, guide in zip(entry.conditions, entry_guides(entry), strict=True)):
            return False
        if self.since is not None and entry.created < self.since:
            return False
        if self.until is not None and entry.created >= self.until:
            return False
        prompt = entry.prompt.casefold()
        return all(word in prompt for word in self.text.casefold().split())


def search(entries: Iterable[HistoryEntry], query: HistoryFilter,
           starred: set[str] | frozenset[str] = frozenset()) -> list[HistoryEntry]:
    """The entries that match ``query``, newest first."""
    found = [entry for entry in entries if query.matches(entry, starred)]
    found.sort(key=lambda entry: entry.created, reverse=True)
    return found


def date_range(days_back: int | None, now: float | None = None) -> tuple[float | None, None]:
    """``(since, until)`` for a :data:`DATE_RANGES` choice: from the start of the day
    ``days_back`` days before today (local time) on; ``None`` means any time."""
    if days_back is None:
        return None, None
    today = date.fromtimestamp(time.time() if now is None else now)
    start = datetime.combine(today - timedelta(days=days_back), datetime.min.time())
    return start.timestamp(), None


def models_in(entries: Iterable[HistoryEntry]) -> list[str]:
    """The models the entries were made with, sorted."""
    return sorted({entry.model for entry in entries if entry.model})


def guides_in(entries: Iterable[HistoryEntry]) -> list[str]:
    """The guides the entries' controls ran with, in the order of GUIDES."""
    used = {guide for entry in entries for guide in entry_guides(entry)}
    return [guide for guide in GUIDES if guide in used]


def conditions_in(entries: Iterable[HistoryEntry]) -> list[str]:
    """The condition ids the entries used, sorted; :data:`NO_CONTROLS` first when some used
    none."""
    entries = list(entries)
    used = sorted({condition for entry in entries for condition in entry.conditions if condition})
    return ([NO_CONTROLS] if any(not entry.conditions for entry in entries) else []) + used


SETTINGS_FROM_REQUEST = ("prompt", "negative_prompt", "model", "family", "steps",
                         "guidance_scale", "seed", "adapter_conditioning_factor",
                         "scheduler", "speed", "loras", *SDXL_SETTINGS)
"""Request fields the Generate panel can show again (Restore settings)."""


def panel_settings(metadata: dict) -> dict:
    """The part of a result's embedded request the Generate panel takes back."""
    return {name: metadata[name] for name in SETTINGS_FROM_REQUEST if name in metadata}


def request_from_metadata(metadata: dict) -> GenerationRequest | None:
    """The request a result was made with, as far as its PNG tells (control images are not
    stored there, so it has no controls); ``None`` when the settings cannot make a request."""
    known = {f.name for f in fields(GenerationRequest)} - {"controls"}
    values = {name: value for name, value in metadata.items()
              if name in known and isinstance(value, str | int | float | None)}
    loras = metadata.get("loras")
    if isinstance(loras, list) and all(isinstance(i, list) and len(i) == 2 for i in loras):
        values["loras"] = tuple((str(path), float(weight)) for path, weight in loras)
    for name in PAIR_FIELDS:  # JSON keeps these pairs as lists
        try:
            values[name] = pair_or_none(metadata.get(name))
        except ValueError:
            return None
    try:
        return GenerationRequest(**values).validate()
    except (TypeError, ValueError, BadInput):
        return None

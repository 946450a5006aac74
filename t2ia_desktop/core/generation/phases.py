"""The phases of a generation job, in the artist's words.

The engine reports each phase through one optional callback, ``on_phase(phase, fraction)``:
``phase`` is one of the names below, ``fraction`` how far that phase is (0–1) or ``None`` when
it cannot tell (the bar then shows a busy state). The queue keeps the latest on ``Job.phase``.
"""

from __future__ import annotations

from collections.abc import Callable

PhaseSink = Callable[[str, "float | None"], None]

STARTING_ENGINE = "starting the engine"
LOADING_MODEL = "loading model"
LOADING_ADAPTERS = "loading adapters"
COMPUTING_FEATURES = "computing adapter features"
DENOISING = "denoising"
LOADING_REFINER = "loading refiner"
REFINING = "refining"
DECODING = "decoding"
SAVING = "saving to history"

#: Phases before the first denoising step, which no Cancel can interrupt mid-way: a job
#: cancelled then stops as soon as the phase returns.
LOADING_PHASES = frozenset({STARTING_ENGINE, LOADING_MODEL, LOADING_ADAPTERS,
                            COMPUTING_FEATURES, LOADING_REFINER})

_WORDS = {
    STARTING_ENGINE: "Starting the engine…",
    LOADING_MODEL: "Loading model…",
    LOADING_ADAPTERS: "Loading adapters…",
    COMPUTING_FEATURES: "Computing adapter features…",
    DENOISING: "Generating",
    LOADING_REFINER: "Loading refiner…",
    REFINING: "Refining…",
    DECODING: "Decoding…",
    SAVING: "Saving to history…",
}

_TIPS = {
    STARTING_ENGINE: "Loading torch and the diffusion libraries (once per session)",
    LOADING_MODEL: "Reading the model's weights into memory (once, until you change model)",
    LOADING_ADAPTERS: "Reading the T2I-Adapters your control layers use",
    COMPUTING_FEATURES: "Running the adapters once on the control images",
    LOADING_REFINER: "Reading the refiner's weights into memory",
    DECODING: "Turning the latent picture into pixels (VAE decode)",
    SAVING: "Writing the result to the image history",
}


def phase_words(phase: str) -> str:
    """What a job row says during ``phase`` (an unknown phase is shown as it is)."""
    return _WORDS.get(phase, phase.capitalize() + "…" if phase else "Generating")


def phase_tip(phase: str) -> str:
    """A longer explanation of ``phase`` for tooltips (empty when there is none)."""
    return _TIPS.get(phase, "")


def is_loading(phase: str) -> bool:
    """Whether ``phase`` comes before the first step (a Cancel waits for its end)."""
    return phase in LOADING_PHASES


class PhaseReporter:
    """Forwards phases to an optional sink and remembers the current one, so a phase is
    reported once when it begins (``enter``) however often it is asked for."""

    def __init__(self, sink: PhaseSink | None = None) -> None:
        self._sink = sink
        self.current = ""

    def __call__(self, phase: str, fraction: float | None = None) -> None:
        self.current = phase
        if self._sink is not None:
            self._sink(phase, fraction)

    def enter(self, phase: str) -> None:
        if phase != self.current:
            self(phase, None)

"""Where detector weights are on this machine, without loading torch and without the network.

Weights are looked up, in order, in the annotators folder the artist chose (``annotators``,
given by the caller: the settings' folder, which ``T2IA_ANNOTATORS`` overrides; see
core/settings.py), in the app's own annotators folder (where the app's downloads land when none
is chosen) and in the Hugging Face cache (``lllyasviel/Annotators``). Nothing here downloads: a
detector whose files are missing raises :class:`WeightsMissing`, which names the files, their
sizes and where to put them; :mod:`t2ia_desktop.engine.model_store.downloads` fetches them
when the artist asks.
"""

from __future__ import annotations

from pathlib import Path

from t2ia_desktop.core.errors import ModelUnavailable
from t2ia_desktop.core.paths import data_dir
from t2ia_desktop.engine.model_store import hub

ANNOTATORS_REPO = "lllyasviel/Annotators"
ANNOTATORS_URL = f"https://huggingface.co/{ANNOTATORS_REPO}"

#: The files each weighted detector reads, as named in ``lllyasviel/Annotators``.
WEIGHT_FILES: dict[str, tuple[str, ...]] = {
    "lineart": ("sk_model.pth", "sk_model2.pth"),
    "midas": ("dpt_hybrid-midas-501f0c75.pt",),
    "zoe": ("ZoeD_M12_N.pt",),
    "openpose": ("body_pose_model.pth", "hand_pose_model.pth", "facenet.pth"),
    "pidinet": ("table5_pidinet.pth",),
}

#: Sizes of the files in ``lllyasviel/Annotators`` (rounded to 0.1 MB), for the artist to know
#: what a download costs before it starts; the download itself asks the hub for exact sizes.
APPROXIMATE_SIZES: dict[str, int] = {
    "sk_model.pth": 17_200_000,
    "sk_model2.pth": 17_200_000,
    "dpt_hybrid-midas-501f0c75.pt": 492_800_000,
    "ZoeD_M12_N.pt": 1_440_000_000,
    "body_pose_model.pth": 209_300_000,
    "hand_pose_model.pth": 147_300_000,
    "facenet.pth": 153_700_000,
    "table5_pidinet.pth": 2_900_000,
    "ControlNetHED.pth": 29_400_000,
    "netG.pth": 217_600_000,
}


class WeightsMissing(ModelUnavailable):
    """A detector's weight files are not on this machine; nothing was downloaded.

    ``files`` are the files to fetch into ``folder`` (the annotators folder downloads go to),
    ``sizes`` their approximate sizes in bytes where known.
    """

    def __init__(self, message: str, detector: str, files: tuple[str, ...], folder: Path) -> None:
        super().__init__(message)
        self.detector = detector
        self.files = files
        self.folder = folder
        self.sizes = {f: APPROXIMATE_SIZES[f] for f in files if f in APPROXIMATE_SIZES}


def app_annotators_folder() -> Path:
    """The app's own annotators folder, under its per-user data folder."""
    return data_dir() / "annotators"


def annotators_folder(annotators: Path | None = None) -> Path:
    """Where downloaded weights go: the chosen ``annotators`` folder, else the app's own."""
    return annotators or app_annotators_folder()


def _folders(annotators: Path | None) -> list[Path]:
    return [folder for folder in (annotators, app_annotators_folder()) if folder is not None]


def find_weights(files: tuple[str, ...], annotators: Path | None = None) -> Path | None:
    """The folder holding all of ``files`` (the chosen ``annotators`` folder, the app's own or
    a cache snapshot), if any."""
    for folder in _folders(annotators):
        if all((folder / f).is_file() for f in files):
            return folder
    from huggingface_hub import try_to_load_from_cache

    found = [try_to_load_from_cache(ANNOTATORS_REPO, f) for f in files]
    if files and all(isinstance(path, str) for path in found):
        parents = {Path(path).parent for path in found}  # type: ignore[arg-type]
        if len(parents) == 1:  # one revision's snapshot folder holds them all
            return parents.pop()
    return None


def annotator_files_present(files: tuple[str, ...], annotators: Path | None = None) -> bool:
    """All of ``files`` are in an annotators folder or in the Hugging Face cache."""
    return find_weights(files, annotators) is not None


def missing_files(files: tuple[str, ...], annotators: Path | None = None) -> tuple[str, ...]:
    """What to download into :func:`annotators_folder` so that all of ``files`` are found."""
    if find_weights(files, annotators) is not None:
        return ()
    target = annotators_folder(annotators)
    return tuple(f for f in files if not (target / f).is_file())


def describe_size(size: int | None) -> str:
    """``size`` bytes for the artist: "17 MB", "1.4 GB" ("size unknown" for None)."""
    if size is None:
        return "size unknown"
    if size >= 1_000_000_000:
        return f"{size / 1e9:.1f} GB"
    if size >= 10_000_000:
        return f"{size / 1e6:.0f} MB"
    if size >= 1_000_000:
        return f"{size / 1e6:.1f} MB"
    return f"{max(1, round(size / 1e3))} kB"


def require_weights(detector: str, files: tuple[str, ...],
                    annotators: Path | None = None) -> Path:
    """The folder holding ``files``, or :class:`WeightsMissing` saying how to get them."""
    found = find_weights(files, annotators)
    if found is not None:
        return found
    target = annotators_folder(annotators)
    missing = missing_files(files, annotators)
    sizes = [APPROXIMATE_SIZES.get(f) for f in missing]
    listed = ", ".join(missing)
    one = len(missing) == 1
    them = "it" if one else "them"
    if None not in sizes:
        them += f" (≈ {describe_size(sum(sizes))})"  # type: ignore[arg-type]
    if hub.offline():
        how = (f"{'It' if one else 'They'} cannot be downloaded now (offline mode is on): "
               f"download {them} from {ANNOTATORS_URL} into {target}")
    else:
        how = (f"Download {them} with “Download weights” in the Condition dock or "
               f"`t2ia-desktop download-weights {detector}`, or put "
               f"{'it' if one else 'them'} from {ANNOTATORS_URL} into {target}")
    # Each file is named once: all of them, or the missing ones and what else it needs.
    # Each file is named once: the missing ones, then what else the detector reads.
    present = [name for name in files if name not in missing]
    here = "is" if len(present) == 1 else "are"
    needs = f" (it also reads {', '.join(present)}, which {here} here)" if present else ""
    verb = "is" if one else "are"
    if annotators is not None:
        message = (f"The {detector} detector's weights are missing: {listed} {verb} missing "
                   f"from {annotators} (the annotators folder) and from the Hugging Face "
                   f"cache{needs}. {how}.")
    else:
        message = (f"The {detector} detector's weights are missing: {listed} {verb} not on "
                   f"this machine{needs}. {how} (or into the annotators folder chosen in "
                   "Settings or named by T2IA_ANNOTATORS).")
    raise WeightsMissing(message, detector, missing, target)

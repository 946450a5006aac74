"""``t2ia-desktop batch JOBS.jsonl --server URL --out DIR``: many requests spread over every
replica of a server, one PNG with metadata per job, resumable.

Each line of JOBS.jsonl is one request: every :class:`GenerationRequest` field it sets (``model``
and ``prompt`` at least), control images, ``init_image`` and ``mask_image`` as paths (relative
to the file's folder; control images are used as given: run ``detect`` first), and optionally
``out``, the PNG's name in DIR (default ``job-00001.png`` by line). Every line is checked
before any job runs. A job whose PNG is in DIR already is skipped, so the same command goes on
where an interrupted one stopped (PNGs are written whole or not at all).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, fields
from pathlib import Path

from t2ia_desktop.core.errors import BadInput, Cancelled, T2IAError
from t2ia_desktop.core.files.project import _ManifestReader
from t2ia_desktop.core.generation.request import GenerationRequest

MAX_LINES = 100_000
_OUT_NAME = re.compile(r"[\w.-]{1,120}\.png")


@dataclass(frozen=True)
class BatchJob:
    line: int
    request: GenerationRequest
    out: Path


def add_batch_parser(commands, add_server_options) -> None:
    batch = commands.add_parser(
        "batch", help="run a file of requests (one JSON object a line) on a server's "
                      "replicas, one PNG each; runs again skip the finished ones")
    batch.add_argument("jobs", metavar="JOBS.jsonl")
    batch.add_argument("--out", required=True, metavar="DIR",
                       help="folder for the PNGs (made if missing)")
    batch.add_argument("--parallel", type=int, default=None, metavar="N",
                       help="jobs in flight at once (default: the server's replica count)")
    add_server_options(batch)


class _PathImages:
    """Pictures named by path (relative to the jobs file's folder), each read once."""

    def __init__(self, folder: Path, where: str) -> None:
        self.folder = folder
        self.where = where
        self._read: dict[Path, object] = {}

    def bad(self, reason: str) -> BadInput:
        return BadInput(f"{self.where}: {reason}")

    def image(self, name: str, what: str):
        from t2ia_desktop.core.files.imageio import open_image

        path = (self.folder / Path(name).expanduser())
        if path not in self._read:
            if not path.is_file():
                raise self.bad(f"the {what} {name[:200]!r} is not a file")
            self._read[path] = open_image(path)
        return self._read[path]


def read_jobs(path: Path, out_dir: Path) -> list[BatchJob]:
    """Every job of the file, checked as ``generate`` checks its request; a
    :class:`BadInput` naming the first line that cannot run."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"cannot read {path} ({error})") from None
    if len(lines) > MAX_LINES:
        raise BadInput(f"{path} has {len(lines)} lines; at most {MAX_LINES} jobs a file")
    jobs: list[BatchJob] = []
    names: set[str] = set()
    known = {f.name for f in fields(GenerationRequest)} | {"out"}
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        where = f"{path.name} line {number}"
        source = _PathImages(path.parent, where)
        try:
            data = json.loads(text)
        except ValueError as error:
            raise source.bad(f"not JSON ({error})") from None
        if not isinstance(data, dict):
            raise source.bad("not a JSON object")
        unknown = sorted(set(data) - known)
        if unknown:
            raise source.bad(f"unknown field {unknown[0][:40]!r}")
        out = data.pop("out", f"job-{number:05d}.png")
        if not isinstance(out, str) or not _OUT_NAME.fullmatch(out) or out in names:
            raise source.bad(f"out {out!r} must be a new file name ending in .png (no "
                             "folders)")
        names.add(out)
        jobs.append(BatchJob(number, _request(source, data), out_dir / out))
    if not jobs:
        raise BadInput(f"{path} holds no jobs")
    return jobs


def _request(source: _PathImages, data: dict) -> GenerationRequest:
    images = {}
    for name in ("init_image", "mask_image"):
        value = data.pop(name, None)
        if value is not None:
            if not isinstance(value, str):
                raise source.bad(f"{name} must be a path")
            images[name] = source.image(value, name.replace("_", " "))
    request = _ManifestReader(source).request(data, "the request")
    try:
        return request.with_changes(**images).validate()
    except BadInput as error:
        raise source.bad(str(error)) from None


class _Progress:
    def __init__(self, total: int, skipped: int) -> None:
        self.total, self.skipped, self.done, self.failed = total, skipped, 0, 0
        self.tty = sys.stderr.isatty()

    def show(self, note: str = "") -> None:
        finished = self.skipped + self.done
        width = 30
        filled = width * finished // self.total
        line = (f"batch [{'#' * filled}{'-' * (width - filled)}] {finished}/{self.total} "
                f"({self.skipped} already there, {self.failed} failed)")
        if self.tty:
            print(f"\r{line}", end="", file=sys.stderr, flush=True)
            if note:
                print(f"\n{note}", file=sys.stderr)
        else:
            print(f"{line}{'  ' + note if note else ''}", file=sys.stderr, flush=True)


def batch_command(args: argparse.Namespace) -> int:
    from t2ia_desktop.cli.remote import remote_engine
    from t2ia_desktop.remote.errors import ServerUnreachable, TokenRefused

    if not args.server:
        raise BadInput("batch runs on a server: give --server URL (`t2ia-desktop serve`)")
    # 1. Every line checked, the server asked for its replicas, before any job runs
    out_dir = Path(args.out).expanduser()
    jobs = read_jobs(Path(args.jobs).expanduser(), out_dir)
    engine = remote_engine(args)
    replicas = len(engine.server_info().replicas)
    out_dir.mkdir(parents=True, exist_ok=True)
    todo = [job for job in jobs if not job.out.exists()]
    progress = _Progress(len(jobs), len(jobs) - len(todo))
    progress.show()
    # 2. As many jobs in flight as the server has replicas: Serve gives each an idle one
    stop = threading.Event()
    fatal: T2IAError | None = None
    pool = ThreadPoolExecutor(max(1, args.parallel or replicas), thread_name_prefix="batch")
    try:
        running = {pool.submit(_run_one, engine, job, stop): job for job in todo}
        while running:
            finished, _ = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                job = running.pop(future)
                try:
                    future.result()
                    progress.done += 1
                    progress.show()
                except (ServerUnreachable, TokenRefused) as error:
                    fatal = fatal or error
                    stop.set()
                except Cancelled:
                    pass
                except T2IAError as error:
                    progress.failed += 1
                    progress.show(f"line {job.line} failed: {error}")
    finally:  # Ctrl+C too: running jobs stop within a step, queued ones never start
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        if progress.tty:
            print(file=sys.stderr)
    left = len(jobs) - progress.skipped - progress.done
    if fatal is not None:
        raise BadInput(f"{fatal}. {left} job{'s' * (left != 1)} left: run the same command "
                       "again to go on")
    if progress.failed:
        raise BadInput(f"{progress.failed} of {len(jobs)} jobs failed (see above); the others "
                       f"are in {out_dir}")
    return 0


def _run_one(engine, job: BatchJob, stop: threading.Event) -> None:
    from t2ia_desktop.cli.outputs import save_picture

    if stop.is_set():
        raise Cancelled()
    image = engine.generate(job.request, should_stop=stop.is_set)
    save_picture(image, job.out, job.request)  # atomic: a PNG there is a finished job

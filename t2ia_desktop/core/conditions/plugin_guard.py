"""Running a plugin's code so that it cannot take the app down.

Plugin code (its import and ``register()``, its detector) runs on a helper thread of its own
while the caller waits for it, at most for a time limit:

- whatever it raises, ``SystemExit`` and ``KeyboardInterrupt`` included, becomes a
  :class:`PluginCodeFailed` for the caller, who makes it that plugin's error;
- a call that does not return in time is left running: a Python thread cannot be stopped from
  outside. The caller carries on, and a later call of the same code is refused at once while the
  earlier one still runs, so a hung plugin holds one thread, not one per call;
- what it prints (stdout, stderr, warnings) goes to the log, never into the CLI's output (with
  no log configured, as on the command line, logging's last resort writes it to stderr);
- a wait that :func:`abandon_when` ties to an event gives up soon after the event is set (the
  app is quitting), so no thread of the app waits on a plugin at exit.

A crash inside native code (a segfault in a C extension, ``os._exit()``) ends the whole process:
that cannot be caught in-process.
"""

from __future__ import annotations

import contextvars
import io
import logging
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO, TypeVar

from t2ia_desktop.core.errors import T2IAError

output_log = logging.getLogger("t2ia_desktop.plugins.output")

T = TypeVar("T")

QUIT_GRACE_S = 2.0
"""How long a wait goes on once the app is quitting, so that a detector about to end can."""

_QUITTING: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar(
    "t2ia_plugin_quitting", default=None)


class PluginCodeFailed(T2IAError):
    """A plugin's code raised (``kind`` "raised", what it raised in ``error``), did not return
    within its time limit ("timeout"), still runs from an earlier call ("busy"), or was given up
    because the app is quitting ("quit")."""

    def __init__(self, message: str, kind: str, error: BaseException | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.error = error


@contextmanager
def abandon_when(event: threading.Event) -> Iterator[None]:
    """Plugin calls made inside this block stop waiting :data:`QUIT_GRACE_S` after ``event``
    is set (the detector thread sets it when the app quits)."""
    token = _QUITTING.set(event)
    try:
        yield
    finally:
        _QUITTING.reset(token)


# -- calls that are still running after their caller gave up ---------------------------------

_RUNNING_LOCK = threading.Lock()
_STILL_RUNNING: dict[Hashable, float] = {}  # key → when its call started (time.monotonic)


def still_running(key: Hashable) -> float | None:
    """Seconds since the call made under ``key`` started, while it has not returned."""
    with _RUNNING_LOCK:
        started = _STILL_RUNNING.get(key)
    return None if started is None else time.monotonic() - started


# -- the helper thread -----------------------------------------------------------------------

class _Call:
    """One call on its helper thread; the caller reads ``value`` or ``error`` once ``done``."""

    def __init__(self, function: Callable[..., Any], args: tuple[Any, ...], owner: str,
                 key: Hashable | None) -> None:
        self.function, self.args, self.owner, self.key = function, args, owner, key
        self.context = contextvars.copy_context()  # the caller's (annotators folder…)
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        _Output.enter(self.owner)
        try:
            self.value = self.context.run(self.function, *self.args)
        except BaseException as error:  # SystemExit and KeyboardInterrupt are the plugin's too
            self.error = error
        finally:
            _Output.leave()
            if self.key is not None:
                with _RUNNING_LOCK:
                    _STILL_RUNNING.pop(self.key, None)
            self.done.set()


def call_plugin(function: Callable[..., T], *args: Any, owner: str,
                time_limit: float | None, key: Hashable | None = None) -> T:
    """``function(*args)`` on a helper thread, waited for at most ``time_limit`` seconds (None:
    as long as it takes). ``owner`` names the plugin in the log; ``key`` (such as the detector
    function) marks a call that must not start again while an earlier one still runs.
    Raises :class:`PluginCodeFailed`; never what the plugin raised."""
    if key is not None:
        with _RUNNING_LOCK:
            started = _STILL_RUNNING.get(key)
            if started is None:
                _STILL_RUNNING[key] = time.monotonic()
        if started is not None:
            age = time.monotonic() - started
            raise PluginCodeFailed(f"its call of {age:.0f} s ago has not returned yet", "busy")
    call = _Call(function, args, owner, key)
    thread = threading.Thread(target=call.run, name=f"t2ia-plugin {owner}"[:60], daemon=True)
    try:
        thread.start()
    except BaseException:
        if key is not None:
            with _RUNNING_LOCK:
                _STILL_RUNNING.pop(key, None)
        raise
    _wait(call, time_limit)
    if call.error is not None:
        error = call.error
        call.error = None  # no cycle through the traceback's frames
        raise PluginCodeFailed(_summary(error), "raised", error)
    return call.value


def _wait(call: _Call, time_limit: float | None) -> None:
    """Until ``call`` is done, its time limit passed, or the app quits (then a short grace)."""
    quitting = _QUITTING.get()
    deadline = None if time_limit is None else time.monotonic() + time_limit
    give_up_at: float | None = None
    while True:
        now = time.monotonic()
        if quitting is not None and quitting.is_set() and give_up_at is None:
            give_up_at = now + QUIT_GRACE_S
        ends = [t for t in (deadline, give_up_at) if t is not None]
        step = min(ends) - now if ends else None
        if quitting is not None:  # look at the event again now and then
            step = 0.05 if step is None else min(step, 0.05)
        if call.done.wait(None if step is None else max(step, 0.0)):
            return
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            raise PluginCodeFailed(f"did not finish in {time_limit:g} s", "timeout")
        if give_up_at is not None and now >= give_up_at:
            raise PluginCodeFailed("left running: the app is quitting", "quit")


def _summary(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


# -- what plugins print goes to the log ---------------------------------------------------------

class _Output(io.TextIOBase):
    """Stands in for stdout or stderr while plugin code runs: lines written by a thread running
    plugin code go to the log, everything else to the stream it replaced."""

    _lock = threading.Lock()
    _users = 0
    _local = threading.local()

    def __init__(self, original: TextIO | None, name: str) -> None:
        super().__init__()
        self.original = original
        self.name = name

    @classmethod
    def enter(cls, owner: str) -> None:
        cls._local.owner, cls._local.pending = owner, {}
        with cls._lock:
            if cls._users == 0:
                sys.stdout = cls(sys.stdout, "stdout")  # type: ignore[assignment]
                sys.stderr = cls(sys.stderr, "stderr")  # type: ignore[assignment]
            cls._users += 1

    @classmethod
    def leave(cls) -> None:
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, cls):
                stream.flush_lines()
        cls._local.owner = None
        with cls._lock:
            cls._users -= 1
            if cls._users == 0:
                for name in ("stdout", "stderr"):
                    stream = getattr(sys, name)
                    if isinstance(stream, cls):  # unless someone replaced it meanwhile
                        setattr(sys, name, stream.original)

    def write(self, text: str) -> int:
        owner = getattr(self._local, "owner", None)
        if owner is None or getattr(self._local, "logging", False):  # the app's, or the log's
            return self.original.write(text) if self.original is not None else len(text)
        pending: dict[str, str] = self._local.pending
        lines = (pending.pop(self.name, "") + str(text)).split("\n")
        if lines[-1]:
            pending[self.name] = lines[-1]
        for line in lines[:-1]:
            self._log(owner, line)
        return len(text)

    def flush_lines(self) -> None:
        rest = getattr(self._local, "pending", {}).pop(self.name, "")
        self._log(self._local.owner, rest)

    def _log(self, owner: str, line: str) -> None:
        if not line.strip():
            return
        # A handler writing to stderr (logging's last resort, with no log configured) writes
        # through this very stream: that goes to the stream, not round again.
        self._local.logging = True
        try:
            output_log.warning("%s: %s", owner, line.rstrip())
        finally:
            self._local.logging = False

    def flush(self) -> None:
        if self.original is not None and getattr(self._local, "owner", None) is None:
            self.original.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.original is not None and self.original.isatty()

    def fileno(self) -> int:
        if self.original is None:
            raise OSError("no stream")
        return self.original.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.original, "encoding", None) or "utf-8"

    def __getattr__(self, name: str) -> Any:  # buffer, errors, … of the stream it replaced
        if name == "original":
            raise AttributeError(name)
        return getattr(self.original, name)

"""What can go wrong with a server, each error saying what to do (shown as the job's reason)."""

from __future__ import annotations

from t2ia_desktop.core.errors import BadInput, ModelUnavailable, T2IAError


class ServerUnreachable(T2IAError):
    """Nothing answers at the server's address, or the connection broke mid-job."""


class TokenRefused(T2IAError):
    """The server answered 401: the token is missing or not the server's."""


class ServerError(T2IAError):
    """The server refused or failed a job; ``status`` is its HTTP-like status."""

    def __init__(self, message: str, status: int = 500) -> None:
        super().__init__(message)
        self.status = status


class ReplicaLost(ServerError):
    """The replica running the job ended (twice, with the retry) before its picture came."""


class RemoteOutOfMemory(ServerError):
    """The server's device ran out of memory; ``advice`` and ``memory`` as the local
    engine's ``OutOfMemory`` (engine/oom.py) has them."""

    def __init__(self, message: str, advice: str = "", memory: str = "RAM") -> None:
        super().__init__(message, 507)
        self.advice = advice or message
        self.memory = memory


def error_from_event(event: dict) -> T2IAError:
    """The error an ``{"type": "error"}`` event stands for, as the local engine raises it."""
    message = str(event.get("message") or "the server failed the job")
    kind = event.get("kind")
    status = event.get("status") if isinstance(event.get("status"), int) else 500
    if kind == "bad_input":
        return BadInput(message)
    if kind == "model_unavailable":
        return ModelUnavailable(message)
    if kind == "out_of_memory":
        return RemoteOutOfMemory(message, str(event.get("advice") or ""),
                                 str(event.get("memory") or "RAM"))
    if kind == "replica_lost":
        return ReplicaLost(message, status)
    if kind == "token":
        return TokenRefused(message)
    return ServerError(message, status)

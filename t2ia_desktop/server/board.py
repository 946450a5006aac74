"""A tiny Ray actor where replicas say who they are (their device) and how their jobs ended,
so the ingress can list live replicas without asking busy ones (each runs one job at a time).
"""

from __future__ import annotations

from collections import deque

import ray

BOARD_NAME = "t2ia-board"
NAMESPACE = "serve"
"""Serve's own namespace: its replica actors are named there too."""


@ray.remote(num_cpus=0)
class ReplicaBoard:
    def __init__(self) -> None:
        self._replicas: dict[str, str] = {}
        self._jobs: deque[dict] = deque(maxlen=200)

    def put(self, name: str, device: str) -> None:
        self._replicas[name] = device

    def drop(self, name: str) -> None:
        self._replicas.pop(name, None)

    def replicas(self) -> dict[str, str]:
        return dict(self._replicas)

    def job_ended(self, record: dict) -> None:
        self._jobs.append(record)

    def jobs(self) -> list[dict]:
        return list(self._jobs)


def board():
    """The cluster's board, made by whichever replica or ingress asks first."""
    return ReplicaBoard.options(name=BOARD_NAME, namespace=NAMESPACE, get_if_exists=True,
                                lifetime="detached").remote()


def alive(name: str) -> bool:
    """Whether the replica actor ``name`` still exists (a killed one is gone at once)."""
    try:
        ray.get_actor(name, namespace=NAMESPACE)
    except ValueError:
        return False
    return True

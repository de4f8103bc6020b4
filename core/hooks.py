"""Registered hooks: how one app lets others react to its work without importing them.

An app declares a `Hook` where the event happens (e.g. `clients.hooks.membership_rebuilt`); another
app connects a receiver in its AppConfig.ready(). Receivers run synchronously, in the sender's
transaction, in the order they were connected: they are part of the same write, not signals fired
into the void."""

from __future__ import annotations

from collections.abc import Callable


class Hook:
    def __init__(self, name: str):
        self.name = name
        self._receivers: list[Callable[..., None]] = []

    def connect(self, receiver: Callable[..., None]) -> Callable[..., None]:
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def send(self, **kwargs) -> None:
        for receiver in self._receivers:
            receiver(**kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._receivers)} receivers>"

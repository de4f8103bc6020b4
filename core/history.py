"""Who made a change and why: services name the acting user (and, for approved changes, the reason)
for django-simple-history explicitly, in the same transaction as the write (the request middleware
does not know API token users)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def set_history_user(obj: Any, user: Any, reason: str | None = None) -> None:
    """The history row of `obj`'s next save or delete records `user` as its author (and `reason`)."""
    obj._history_user = user
    if reason:
        obj._change_reason = reason[:100]


def save_with_history(obj: Any, *, user: Any, exclude: Iterable[str] = (), reason: str | None = None) -> None:
    """Validate (model rules and constraints), then save with `user` as the author of the change."""
    obj.full_clean(exclude=list(exclude))
    set_history_user(obj, user, reason)
    obj.save()

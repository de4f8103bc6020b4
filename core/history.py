"""Who made a change: services name the acting user for django-simple-history explicitly (the
request middleware does not know API token users), in the same transaction as the write."""

from typing import Any


def set_history_user(obj: Any, user: Any) -> None:
    """The history row of `obj`'s next save or delete records `user` as its author."""
    obj._history_user = user

"""Form plumbing shared by every app's page forms."""

from __future__ import annotations


class UserFormMixin:
    """A form that acts for a user: fields that resolve input in the user's reach (credit codes,
    groups, persons) get the user bound to them (`bind_user`). `field_map` names, for errors that come
    back from a service (core.errors.apply_to_form), the input field of each model field."""

    field_map: dict[str, str] = {}

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            bind = getattr(field, "bind_user", None)
            if bind is not None:
                bind(user)

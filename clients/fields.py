"""Form fields that name client records the way people do: an enterprise by its credit code.

Every page form that names an enterprise uses `EnterpriseCodeField`, which resolves through the one
"may name" resolver (clients.access.resolve_enterprise): a malformed code is refused with its reason,
a code not on file as unknown. What the named record may then touch is the services' rule."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.access import Reach, resolve_enterprise
from clients.validators import normalize_uscc, validate_uscc


class CreditCodeField(forms.CharField):
    """A credit code, normalised (spaces, dashes, case) and checked against GB 32100-2015."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", _("18 characters, GB 32100-2015."))
        super().__init__(**kwargs)

    def to_python(self, value):
        return normalize_uscc(super().to_python(value))

    def validate(self, value):
        super().validate(value)
        if value:
            validate_uscc(value)


class EnterpriseCodeField(CreditCodeField):
    """An enterprise on file, named by its credit code (cleaned to the Enterprise object). `reach`:
    Reach.REGISTRY to name any enterprise on file, Reach.FULL for the user's full record only."""

    user = None

    def __init__(self, *, reach: Reach = Reach.REGISTRY, **kwargs):
        self.reach = reach
        super().__init__(**kwargs)

    def bind_user(self, user) -> None:
        self.user = user

    def clean(self, value):
        code = super().clean(value)
        return resolve_enterprise(self.user, code, reach=self.reach) if code else None

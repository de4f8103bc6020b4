"""Form plumbing shared by every app's page forms."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core import money

# Django puts gettext(":") after every label (Form.label_suffix); the project's catalogue gives it the
# full-width colon in Chinese (docs/GLOSSARY.md, punctuation), so every form and filter reads "状态：".
LABEL_SUFFIX = _(":")


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


class AmountField(forms.DecimalField):
    """An amount entered the way it is read: the label states the unit (万元 on a Chinese page, 元 on an
    English one), a bare number is read in that unit, and a written unit wins (`125万`, `1.5亿`,
    `1,250,000元`, `3.2m`). The cleaned value is always in 元; the initial value is shown in the unit."""

    default_error_messages = {
        "invalid": _("Enter an amount such as 1,250,000, 125万 or 1.5亿."),
    }

    def __init__(self, *, label=None, **kwargs):
        self.base_label = label
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(label=label, **kwargs)

    def unit(self) -> Decimal:
        return money.WAN if money.chinese() else Decimal(1)

    @property  # type: ignore[override]
    def label(self):
        if self.base_label is None:
            return None
        unit = money.table_unit()
        return f"{self.base_label}（{unit}）" if money.chinese() else f"{self.base_label} ({unit})"

    @label.setter
    def label(self, value):
        self.base_label = value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            number = money.parse_amount(value, default_unit=self.unit())
        except money.AmountError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        return number

    def prepare_value(self, value):
        number = money.to_decimal(value)
        if number is None or isinstance(value, str):
            return value
        shown = (number / self.unit()).normalize()
        return f"{shown:f}"

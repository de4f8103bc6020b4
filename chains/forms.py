"""Forms of the chain page: the period, declaring a link by credit codes, confirming a detected link."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from chains.filtersets import TIER_CHOICES
from chains.selectors import Period, default_period, enterprise_for_uscc

MAX_PERIOD_DAYS = 5 * 366


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean(self):
        data = super().clean()
        default = default_period(data.get("end"))
        start, end = data.get("start") or default.start, data.get("end") or default.end
        if start > end:
            raise ValidationError({"end": _("The end date cannot be before the start date.")})
        if end - start > timedelta(days=MAX_PERIOD_DAYS):
            raise ValidationError({"start": _("The period can be at most five years long.")})
        data["period"] = Period(start=start, end=end)
        return data

    def period(self) -> Period:
        """The chosen period, or the default (last 12 months) when the input is missing or invalid."""
        if self.is_valid():
            return self.cleaned_data["period"]
        return default_period()


class UsccField(forms.CharField):
    """A credit code resolved to an existing enterprise; the error says whether the code is malformed
    or unknown."""

    def clean(self, value):
        value = super().clean(value)
        return enterprise_for_uscc(value) if value else value


class ChainLinkDeclareForm(forms.Form):
    supplier_uscc = UsccField(label=_("Supplier credit code"), max_length=30)
    buyer_uscc = UsccField(label=_("Buyer credit code"), max_length=30)
    tier = forms.TypedChoiceField(label=_("Tier"), choices=TIER_CHOICES, coerce=int)
    goods = forms.CharField(label=_("Goods"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        supplier, buyer = data.get("supplier_uscc"), data.get("buyer_uscc")
        if supplier and buyer and supplier.pk == buyer.pk:
            self.add_error("buyer_uscc", _("Supplier and buyer must differ."))
        return data


class ChainLinkConfirmForm(forms.Form):
    tier = forms.TypedChoiceField(label=_("Tier"), choices=TIER_CHOICES, coerce=int, required=False,
                                  empty_value=None)
    goods = forms.CharField(label=_("Goods"), max_length=200, required=False)


# Service errors name model fields; the forms and the API name the credit-code inputs.
SERVICE_FIELD_NAMES = {"supplier": "supplier_uscc", "buyer": "buyer_uscc"}


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, on the fields it names where the form has them."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        name = SERVICE_FIELD_NAMES.get(name, name)
        form.add_error(name if name in form.fields else None, errors)

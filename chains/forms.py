"""Forms of the chain page: the period, declaring a link by credit codes, confirming a detected link."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chains.filtersets import TIER_CHOICES
from chains.selectors import Period, default_period
from clients.fields import EnterpriseCodeField
from core.dates import BusinessDateField
from core.forms import AmountField, UserFormMixin

MAX_PERIOD_DAYS = 5 * 366


class PeriodForm(forms.Form):
    """The chain page's period. Both ends lie in the business date range (core.dates), so the default
    start (a year before the end) and the previous period never leave the calendar: `?end=0001-01-01`
    is a form error, not a 500."""

    start = BusinessDateField(label=_("From"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = BusinessDateField(label=_("To"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

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


class ChainLinkDeclareForm(UserFormMixin, forms.Form):
    field_map = {"supplier": "supplier_uscc", "buyer": "buyer_uscc"}

    supplier_uscc = EnterpriseCodeField(label=_("Supplier credit code"))
    buyer_uscc = EnterpriseCodeField(label=_("Buyer credit code"))
    tier = forms.TypedChoiceField(label=pgettext_lazy("chain", "Tier"), choices=TIER_CHOICES, coerce=int)
    goods = forms.CharField(label=_("Goods"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        supplier, buyer = data.get("supplier_uscc"), data.get("buyer_uscc")
        if supplier and buyer and supplier.pk == buyer.pk:
            self.add_error("buyer_uscc", _("Supplier and buyer must differ."))
        return data


class ChainLinkConfirmForm(forms.Form):
    tier = forms.TypedChoiceField(label=pgettext_lazy("chain", "Tier"), choices=TIER_CHOICES, coerce=int, required=False,
                                  empty_value=None)
    goods = forms.CharField(label=_("Goods"), max_length=200, required=False)


class DetectionSettingsForm(forms.Form):
    """Head office's detection thresholds; the volume is typed the way amounts are read (125万, 1.5亿)."""

    min_volume = AmountField(label=_("Minimum volume"), max_digits=18, decimal_places=2, min_value=0,
                             help_text=_("Total payments between the two enterprises in the period."))
    min_payments = forms.IntegerField(label=_("Minimum number of payments"), min_value=1, max_value=100000)
    min_months = forms.IntegerField(label=_("Minimum months active"), min_value=1, max_value=60,
                                    help_text=_("Distinct calendar months with at least one payment."))


class QueuePageForm(forms.Form):
    """The review queue's page number (`?page=`): anything but a sensible number is the first page."""

    page = forms.IntegerField(min_value=1, max_value=10**9, required=False)

    def page_number(self) -> int:
        return (self.cleaned_data.get("page") or 1) if self.is_valid() else 1

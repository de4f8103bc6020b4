"""Forms of the circle page. They parse input; the rules live in circles.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from circles.models import CircleRole, CircleSource
from clients.fields import EnterpriseCodeField
from core.dates import BusinessDateField
from core.forms import AmountField, UserFormMixin

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CircleFormMixin(UserFormMixin):
    """Distinct element ids: the circle page also holds the filter form with the same field names."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)


class CircleMemberAddForm(CircleFormMixin, forms.Form):
    field_map = {"enterprise": "enterprise_uscc"}

    enterprise_uscc = EnterpriseCodeField(label=_("Credit code of the enterprise"))
    role = forms.ChoiceField(label=_("Role"), choices=CircleRole.choices)
    tier = forms.IntegerField(label=_("Degree"), required=False, min_value=0, max_value=9)
    source = forms.ChoiceField(
        label=_("Source"), initial=CircleSource.DECLARED,
        choices=[(k, v) for k, v in CircleSource.choices if k != CircleSource.CONTROL],
    )
    since = BusinessDateField(label=_("Since"), required=False, widget=DATE_WIDGET)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class GuaranteeForm(CircleFormMixin, forms.Form):
    field_map = {"guarantor": "guarantor_uscc", "borrower": "borrower_uscc"}

    guarantor_uscc = EnterpriseCodeField(label=_("Guarantor credit code"))
    borrower_uscc = EnterpriseCodeField(label=_("Borrower credit code"))
    amount = AmountField(label=_("Amount"), max_digits=20, decimal_places=2)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    start_date = BusinessDateField(label=_("Start date"), widget=DATE_WIDGET)
    end_date = BusinessDateField(label=_("End date"), widget=DATE_WIDGET)

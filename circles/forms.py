"""Forms of the circle page. They parse input; the rules live in circles.services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from circles.models import CircleRole, CircleSource
from circles.selectors import linkable_enterprises
from clients.models import Enterprise
from clients.validators import normalize_uscc, validate_uscc


def enterprise_by_uscc(value: str, *, user) -> Enterprise:
    """The enterprise with this credit code among those the user may link (circles.selectors)."""
    code = normalize_uscc(value)
    validate_uscc(code)
    enterprise = linkable_enterprises(user=user).filter(uscc=code).first()
    if enterprise is None:
        raise ValidationError(
            _("No enterprise has the credit code %(code)s. Create the enterprise first."),
            code="unknown_uscc", params={"code": code},
        )
    return enterprise


class ServiceErrorsMixin:
    """Takes the acting user (credit codes resolve in their reach); puts a service's
    ValidationError on the form fields it names."""

    field_map: dict[str, str] = {}

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        # Distinct element ids: the circle page also holds the filter form with the same field names.
        kwargs.setdefault("auto_id", f"{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)

    def add_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                target = self.field_map.get(name, name)
                if target not in self.fields:
                    target = None
                for error in errors:
                    self.add_error(target, error)
        else:
            self.add_error(None, exc)


class CircleMemberAddForm(ServiceErrorsMixin, forms.Form):
    field_map = {"enterprise": "enterprise_uscc", "__all__": None}

    enterprise_uscc = forms.CharField(label=_("Credit code of the enterprise"), max_length=30)
    role = forms.ChoiceField(label=_("Role"), choices=CircleRole.choices)
    tier = forms.IntegerField(label=_("Tier"), required=False, min_value=0, max_value=9)
    source = forms.ChoiceField(
        label=_("Source"), initial=CircleSource.DECLARED,
        choices=[(k, v) for k, v in CircleSource.choices if k != CircleSource.CONTROL],
    )
    since = forms.DateField(label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_enterprise_uscc(self):
        return enterprise_by_uscc(self.cleaned_data["enterprise_uscc"], user=self.user)


class GuaranteeForm(ServiceErrorsMixin, forms.Form):
    field_map = {"guarantor": "guarantor_uscc", "borrower": "borrower_uscc", "__all__": None}

    guarantor_uscc = forms.CharField(label=_("Guarantor credit code"), max_length=30)
    borrower_uscc = forms.CharField(label=_("Borrower credit code"), max_length=30)
    amount = forms.DecimalField(label=_("Amount"), max_digits=20, decimal_places=2)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    start_date = forms.DateField(label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end_date = forms.DateField(label=_("End date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean_guarantor_uscc(self):
        return enterprise_by_uscc(self.cleaned_data["guarantor_uscc"], user=self.user)

    def clean_borrower_uscc(self):
        return enterprise_by_uscc(self.cleaned_data["borrower_uscc"], user=self.user)

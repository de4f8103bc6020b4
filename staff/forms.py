"""Forms of the account pages."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from staff import tokens


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("What or who uses the token, e.g. the system that calls the API."))
    expires_in_days = forms.TypedChoiceField(label=_("Expires after"), coerce=int, choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["expires_in_days"]
        field.choices = [(d, ngettext("%(n)d day", "%(n)d days", d) % {"n": d}) for d in tokens.lifetime_choices()]
        field.initial = tokens.default_days()


class TokenKeyForm(forms.Form):
    key = forms.CharField(max_length=25)

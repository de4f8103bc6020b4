from django import forms
from django.utils.translation import gettext_lazy as _

from chains.imports.services import KIND_CHOICES


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to import"), choices=KIND_CHOICES, initial="flows")
    source_system = forms.CharField(
        label=_("Source system"), max_length=50, required=False,
        help_text=_("Flows only: the system the file comes from (default: the file name)."),
    )
    file = forms.FileField(label=_("File (CSV or XLSX)"))

from django import forms
from django.utils.translation import gettext_lazy as _

from imports.models import SourceSystem
from imports.registry import importer_for, kind_choices


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to import"), choices=kind_choices, initial="flows")
    source_system = forms.ModelChoiceField(
        label=_("Source system"), queryset=SourceSystem.objects.active(), to_field_name="code", required=False,
        empty_label=_("(choose the system the file comes from)"),
        help_text=_("Required for flows: importing the same rows from the same system again creates nothing."),
    )
    file = forms.FileField(label=_("File (CSV or XLSX)"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["kind"].choices = kind_choices(user)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind and importer_for(kind).needs_source_system and not data.get("source_system"):
            self.add_error("source_system", _("Choose the source system the file comes from."))
        return data

    @property
    def source_code(self) -> str:
        source = self.cleaned_data.get("source_system")
        return source.code if source else ""

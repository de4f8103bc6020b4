"""The source systems imports come from: a list head office keeps (DESIGN.md section 2, flows)."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class SourceSystemQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class SourceSystem(models.Model):
    """A system the bank imports data from (core banking, ERP, e-invoice platform, ...).

    An import names its source explicitly, never by its file name: a flow's external reference is
    unique per source system, so the same rows in a renamed file are recognised as already present.
    Head office keeps the list in the admin; a source that stops sending is deactivated, not deleted
    (its flows keep its code)."""

    code = models.CharField(
        _("code"), max_length=50, unique=True,
        validators=[RegexValidator(r"^[a-z0-9_]+$", _("Lower-case letters, digits and underscores only."))],
        help_text=_("Stored on every imported flow; lower-case letters, digits and underscores."),
    )
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True, help_text=_("Inactive systems cannot be imported from."))

    objects = SourceSystemQuerySet.as_manager()

    class Meta:
        verbose_name = _("source system")
        verbose_name_plural = _("source systems")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.code})"


def active_source_codes() -> list[str]:
    """The codes an import may name, sorted."""
    return sorted(SourceSystem.objects.active().values_list("code", flat=True))

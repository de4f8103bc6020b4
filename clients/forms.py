"""Page forms for client data. They check input and present errors; the writes are services'.

Each form turns a service's ValidationError back into field errors with `apply_validation_error`.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from clients.models import (
    MONEY,
    ControlLink,
    ControlType,
    Enterprise,
    FinancialStatement,
    Interaction,
    InteractionKind,
    Person,
    Tier,
)
from clients.validators import normalize_uscc, validate_uscc
from staff.models import Branch


def apply_validation_error(form, error: ValidationError, field_map: dict | None = None) -> None:
    """Put a service's ValidationError on the form: by field where the form has it, else on top."""
    field_map = field_map or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        target = field_map.get(name, name)
        form.add_error(target if target in form.fields else None, errors)


def staff_users():
    """Users with a staff role, for the RM and team pickers."""
    return (
        get_user_model()
        .objects.filter(profile__isnull=False, is_active=True)
        .select_related("profile")
        .order_by("profile__display_name", "username")
    )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.profile.display_name or obj.get_username()


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.profile.display_name or obj.get_username()


class EnterpriseForm(forms.ModelForm):
    """Create or edit an enterprise. The credit code is checked by the model's GB 32100 validator."""

    rm = StaffChoiceField(queryset=staff_users(), required=False, label=capfirst(_("relationship manager")))

    class Meta:
        model = Enterprise
        fields = ["name", "uscc", "industry", "size", "region", "is_client", "branch", "rm", "internal_rating"]

    def clean_uscc(self):
        return normalize_uscc(self.cleaned_data["uscc"])


class CreditCodeField(forms.CharField):
    """An enterprise chosen by its credit code (validated before it is looked up)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)

    def to_python(self, value):
        return normalize_uscc(super().to_python(value))

    def validate(self, value):
        super().validate(value)
        if value:
            validate_uscc(value)


def _enterprise_by_uscc(queryset, code):
    try:
        return queryset.get(uscc=code)
    except Enterprise.DoesNotExist:
        raise ValidationError(
            _("No enterprise with the credit code %(code)s is on file for you; create it first."),
            code="unknown_uscc",
            params={"code": code},
        ) from None


class GroupClientForm(forms.Form):
    name = forms.CharField(label=capfirst(_("name")), max_length=200)
    core_uscc = CreditCodeField(
        label=capfirst(_("core enterprise (credit code)")),
        help_text=_("The unified social credit code of an enterprise you cover."),
    )
    lead_rm = StaffChoiceField(queryset=staff_users(), label=capfirst(_("lead RM")))
    team = StaffMultipleChoiceField(queryset=staff_users(), required=False, label=capfirst(_("coverage team")))
    branch = forms.ModelChoiceField(queryset=Branch.objects.all(), label=capfirst(_("branch")))
    tier = forms.ChoiceField(choices=Tier.choices, label=capfirst(_("tier")), initial=Tier.GENERAL)
    unified_credit_limit = forms.DecimalField(
        label=capfirst(_("unified credit limit (CNY)")), max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"], validators=[MinValueValidator(0)], initial=0,
    )

    needs_user = True
    # model field name -> form field name, for errors coming back from the service
    field_map = {"core_enterprise": "core_uscc"}

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_core_uscc(self):
        code = self.cleaned_data["core_uscc"]
        self.cleaned_data["core_enterprise"] = _enterprise_by_uscc(Enterprise.objects.for_user(self.user), code)
        return code

    @classmethod
    def initial_for(cls, group):
        return {
            "name": group.name,
            "core_uscc": group.core_enterprise.uscc,
            "lead_rm": group.lead_rm_id,
            "team": [u.pk for u in group.team.all()],
            "branch": group.branch_id,
            "tier": group.tier,
            "unified_credit_limit": group.unified_credit_limit,
        }

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "core_enterprise": data["core_enterprise"],
            "lead_rm": data["lead_rm"],
            "branch": data["branch"],
            "team": list(data["team"]),
            "tier": data["tier"],
            "unified_credit_limit": data["unified_credit_limit"],
        }


class PersonChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.id_number_for(self.user)})"


class ControlLinkForm(forms.Form):
    """A parent (an enterprise by credit code, or a person) of the enterprise whose page this is."""

    parent_uscc = CreditCodeField(label=capfirst(_("parent enterprise (credit code)")), required=False)
    parent_person = forms.ModelChoiceField(queryset=Person.objects.none(), required=False,
                                           label=capfirst(_("or parent person")))
    share_pct = forms.DecimalField(label=capfirst(_("share %")), max_digits=7, decimal_places=4, min_value=0,
                                   max_value=100)
    control_type = forms.ChoiceField(choices=ControlType.choices, label=capfirst(_("control type")))
    note = forms.CharField(label=capfirst(_("note")), max_length=200, required=False)

    needs_user = True
    field_map = {"parent_enterprise": "parent_uscc"}

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["parent_person"] = PersonChoiceField(
            queryset=Person.objects.for_user(user).order_by("name"), required=False,
            label=capfirst(_("or parent person")), user=user,
        )

    def clean(self):
        data = super().clean()
        code, person = data.get("parent_uscc"), data.get("parent_person")
        if "parent_uscc" in self.errors:
            return data
        if bool(code) == bool(person):
            raise ValidationError(
                _("Give exactly one parent: an enterprise's credit code or a person."), code="one_parent"
            )
        data["parent_enterprise"] = None
        if code:
            # Both ends of a link must be the user's (the service re-checks): look only among them.
            try:
                data["parent_enterprise"] = _enterprise_by_uscc(Enterprise.objects.for_user(self.user), code)
            except ValidationError as exc:
                self.add_error("parent_uscc", exc)
        return data

    @classmethod
    def initial_for(cls, link: ControlLink):
        return {
            "parent_uscc": link.parent_enterprise.uscc if link.parent_enterprise_id else "",
            "parent_person": link.parent_person_id,
            "share_pct": link.share_pct,
            "control_type": link.control_type,
            "note": link.note,
        }

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "parent_enterprise": data["parent_enterprise"],
            "parent_person": data["parent_person"],
            "share_pct": data["share_pct"],
            "control_type": data["control_type"],
            "note": data["note"],
        }


class InteractionForm(forms.ModelForm):
    class Meta:
        model = Interaction
        fields = ["kind", "occurred_at", "subject", "notes"]
        widgets = {
            "occurred_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].initial = InteractionKind.VISIT


class FinancialStatementForm(forms.ModelForm):
    class Meta:
        model = FinancialStatement
        fields = [
            "period_end", "period_type", "revenue", "net_profit", "total_assets", "total_liabilities",
            "current_assets", "current_liabilities", "receivables", "inventory", "operating_cash_flow",
            "source",
        ]
        widgets = {"period_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def _post_clean(self):
        # The statement's enterprise is set by the service; only validate the fields here.
        pass

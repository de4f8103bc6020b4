"""Page forms for client data. They parse input and present errors; the rules and writes are the
services' (errors coming back from them land on the fields through core.errors.apply_to_form).

Which fields a form shows follows the user's role (DESIGN.md section 4): ownership fields (owning
branch, RM, lead RM, team) only where the user may set them directly (head office; a branch head
recording within their subtree), the limit and the rating only on their own forms."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MinValueValidator
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from clients.access import Reach
from clients.fields import CreditCodeField, EnterpriseCodeField
from clients.models import (
    MONEY,
    ControlLink,
    ControlType,
    Enterprise,
    FinancialStatement,
    Interaction,
    InteractionKind,
    Person,
    Rating,
    Tier,
)
from core.dates import BusinessDateField, BusinessDateTimeField
from core.forms import AmountField, UserFormMixin
from staff.models import Branch, staff_name
from staff.scope import scope_for


def staff_users():
    """Users with a staff role, for the RM and team pickers."""
    return (
        get_user_model()
        .objects.filter(profile__isnull=False, is_active=True)
        .select_related("profile")
        .order_by("profile__display_name", "username")
    )


def staff_of_subtree(scope):
    qs = staff_users()
    return qs if scope.sees_all else qs.filter(profile__branch__path__startswith=scope.branch_path or "-")


def branches_of_subtree(scope):
    qs = Branch.objects.all()
    return qs if scope.sees_all else qs.filter(path__startswith=scope.branch_path or "-")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return staff_name(obj)


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return staff_name(obj)


MONEY_FIELD = {"max_digits": MONEY["max_digits"], "decimal_places": MONEY["decimal_places"]}


class EnterpriseForm(UserFormMixin, forms.ModelForm):
    """Create or edit an enterprise. The credit code is checked by the model's GB 32100 validator."""

    claim = forms.BooleanField(
        label=capfirst(_("claim it for my branch")), required=False, initial=True,
        help_text=_("Untick to record an unowned prospect (e.g. a supplier from supply-chain data) that any "
                    "branch may claim later."),
    )
    rm = StaffChoiceField(queryset=staff_users(), required=False, label=capfirst(_("relationship manager")))

    class Meta:
        model = Enterprise
        fields = ["name", "uscc", "industry", "size", "region", "is_client", "branch", "rm", "internal_rating"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_for(self.user)
        creating = self.instance.pk is None
        if not scope.sees_all:
            self.fields.pop("internal_rating")
            if creating and scope.is_branch_wide:
                self.fields["branch"].queryset = branches_of_subtree(scope)
                self.fields["rm"].queryset = staff_of_subtree(scope)
            else:
                self.fields.pop("branch")
                self.fields.pop("rm")
        if not creating or scope.sees_all:
            self.fields.pop("claim")

    def clean_uscc(self):
        from clients.validators import normalize_uscc

        return normalize_uscc(self.cleaned_data["uscc"])

    def _post_clean(self):
        # Model validation (uniqueness, ...) is the service's: it knows the defaults it fills in.
        pass


class GroupClientForm(UserFormMixin, forms.Form):
    field_map = {"core_enterprise": "core_uscc"}

    name = forms.CharField(label=capfirst(_("name")), max_length=200)
    core_uscc = EnterpriseCodeField(
        reach=Reach.FULL, label=capfirst(_("core enterprise (credit code)")),
        help_text=_("The unified social credit code of an enterprise you cover."),
    )
    lead_rm = StaffChoiceField(queryset=staff_users(), label=capfirst(_("lead RM")))
    team = StaffMultipleChoiceField(queryset=staff_users(), required=False, label=capfirst(_("coverage team")))
    branch = forms.ModelChoiceField(queryset=Branch.objects.all(), label=capfirst(_("branch")))
    tier = forms.ChoiceField(choices=Tier.choices, label=capfirst(_("tier")), initial=Tier.GENERAL)
    unified_credit_limit = AmountField(
        label=capfirst(_("unified credit limit")), validators=[MinValueValidator(0)], initial=0, **MONEY_FIELD,
    )

    def __init__(self, *args, group=None, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_for(self.user)
        self.group = group
        if not scope.sees_all:
            self.fields.pop("unified_credit_limit")
            if group is not None or scope.is_rm:
                # Ownership of an existing group changes by transfer; an RM records groups they lead.
                for name in ("lead_rm", "team", "branch"):
                    self.fields.pop(name)
            else:
                self.fields["branch"].queryset = branches_of_subtree(scope)
                self.fields["lead_rm"].queryset = staff_of_subtree(scope)
                self.fields["team"].queryset = staff_of_subtree(scope)
        elif group is not None:
            self.fields.pop("unified_credit_limit")  # its own form, with the confirmation rule

    @classmethod
    def initial_for(cls, group):
        return {
            "name": group.name,
            "core_uscc": group.core_enterprise.uscc,
            "lead_rm": group.lead_rm_id,
            "team": [u.pk for u in group.team.all()],
            "branch": group.branch_id,
            "tier": group.tier,
        }

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["core_enterprise"] = data.pop("core_uscc")
        if "team" in data:
            data["team"] = list(data["team"])
        return data


class LimitForm(forms.Form):
    """The unified credit limit, set by risk officers and head office; a large change is confirmed."""

    unified_credit_limit = AmountField(
        label=capfirst(_("unified credit limit")), validators=[MinValueValidator(0)], **MONEY_FIELD,
        help_text=_("A bare number is read in the unit shown; 125万, 1.5亿 or 1,250,000元 state their own."),
    )
    confirm = forms.BooleanField(
        label=capfirst(_("I have checked the amount and its unit")), required=False,
        help_text=_("Needed when the new limit is far above or below the current one."),
    )


class RatingForm(forms.Form):
    internal_rating = forms.ChoiceField(
        label=capfirst(_("internal rating")), choices=[("", "—"), *Rating.choices], required=False
    )


class TransferForm(forms.Form):
    """A transfer request: the new owning branch and RM (enterprise), or branch, lead RM and team (group).
    Fields left empty keep their current value."""

    branch = forms.ModelChoiceField(queryset=Branch.objects.all(), required=False, label=capfirst(_("owning branch")))
    rm = StaffChoiceField(queryset=staff_users(), required=False, label=capfirst(_("relationship manager")))
    lead_rm = StaffChoiceField(queryset=staff_users(), required=False, label=capfirst(_("lead RM")))
    team = StaffMultipleChoiceField(queryset=staff_users(), required=False, label=capfirst(_("coverage team")))
    reason = forms.CharField(label=capfirst(_("reason")), max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, subject_is_group: bool, **kwargs):
        super().__init__(*args, **kwargs)
        for name in (("rm",) if subject_is_group else ("lead_rm", "team")):
            self.fields.pop(name)

    def service_kwargs(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "team" and v not in (None, "")}
        if "team" in self.fields:
            data["team"] = list(self.cleaned_data["team"])  # pre-filled with the current team
        return data


class PersonChoiceField(forms.ModelChoiceField):
    user = None

    def bind_user(self, user) -> None:
        self.user = user
        self.queryset = Person.objects.for_user(user).order_by("name")

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.id_number_for(self.user)})"


class ControlLinkForm(UserFormMixin, forms.Form):
    """A parent (an enterprise by credit code, or a person) of the enterprise whose page this is."""

    field_map = {"parent_enterprise": "parent_uscc", "child": "parent_uscc"}

    parent_uscc = EnterpriseCodeField(label=capfirst(_("parent enterprise (credit code)")), required=False)
    parent_person = PersonChoiceField(queryset=Person.objects.none(), required=False,
                                      label=capfirst(_("or parent person")))
    share_pct = forms.DecimalField(label=capfirst(_("share %")), max_digits=7, decimal_places=4, min_value=0,
                                   max_value=100)
    control_type = forms.ChoiceField(choices=ControlType.choices, label=capfirst(_("control type")))
    note = forms.CharField(label=capfirst(_("note")), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if "parent_uscc" in self.errors:
            return data
        if bool(data.get("parent_uscc")) == bool(data.get("parent_person")):
            raise forms.ValidationError(
                _("Give exactly one parent: an enterprise's credit code or a person."), code="one_parent"
            )
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
            "parent_enterprise": data["parent_uscc"],
            "parent_person": data["parent_person"],
            "share_pct": data["share_pct"],
            "control_type": data["control_type"],
            "note": data["note"],
        }


class RegistryLookupForm(forms.Form):
    uscc = CreditCodeField(label=capfirst(_("unified social credit code")))


class InteractionForm(forms.ModelForm):
    class Meta:
        model = Interaction
        fields = ["kind", "occurred_at", "subject", "notes"]
        field_classes = {"occurred_at": BusinessDateTimeField}
        widgets = {
            "occurred_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        kwargs.pop("user", None)
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
        field_classes = {
            "period_end": BusinessDateField,
            **dict.fromkeys(
                ["revenue", "net_profit", "total_assets", "total_liabilities", "current_assets",
                 "current_liabilities", "receivables", "inventory", "operating_cash_flow"], AmountField),
        }
        widgets = {"period_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        kwargs.pop("user", None)
        super().__init__(*args, **kwargs)

    def _post_clean(self):
        # The statement's enterprise is set by the service; only validate the fields here.
        pass

"""Serializers of the clients API.

Enterprises travel by their unified social credit code (`*_uscc` fields), staff by username and
branches by code: the natural keys internal systems already hold. Serializers only validate and
represent; the viewsets hand `validated_data` to `clients.services`, which check permissions,
write atomically and record history.

Every reference to an enterprise resolves inside the user's scope: an enterprise the user may not
see is answered exactly like an unknown one ("No enterprise with this credit code."), so the API
never tells whether a credit code exists elsewhere in the bank.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clients import selectors
from clients.access import Reach
from clients.api.fields import EnterpriseBriefSerializer, EnterpriseCodeField, ResidentIdField, UsccField
from clients.models import (
    AccountBalance,
    BankAccount,
    ChangeApproval,
    ChangeRequest,
    ControlLink,
    Enterprise,
    FinancialStatement,
    GroupClient,
    Interaction,
    Person,
    Rating,
)
from clients.validators import validate_uscc
from core.api.serializers import ModelSerializer, Serializer
from staff.api.fields import BranchByCodeField, StaffByUsernameField


class PersonByIdField(serializers.PrimaryKeyRelatedField):
    """A person by id, among the persons in the user's reach (those who control or manage their full
    record, and those they recorded themselves)."""

    default_error_messages = {"does_not_exist": _("No person with this id.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Person.objects.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return Person.objects.for_user(getattr(request, "user", None))


# --- enterprises -------------------------------------------------------------------------------------------


class EnterpriseSerializer(ModelSerializer):
    uscc = UsccField(
        help_text=_("Unified social credit code (GB 32100-2015); the enterprise's key in this API."),
        validators=[validate_uscc],
    )
    branch = BranchByCodeField(
        required=False, allow_null=True,
        help_text=_("Owning branch code. Set by head office; others record for their own branch or leave "
                    "it empty with claim=false (an unowned prospect); it changes by transfer."),
    )
    rm = StaffByUsernameField(required=False, allow_null=True, help_text=_("Username of the RM."))
    internal_rating = serializers.ChoiceField(
        choices=Rating.choices, required=False, allow_blank=True,
        help_text=_("Set by risk officers and head office (the rating action)."),
    )
    claim = serializers.BooleanField(
        write_only=True, required=False, default=True,
        help_text=_("On creation: claim it for your branch (default) or record an unowned prospect."),
    )
    industry_label = serializers.CharField(read_only=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "uscc",
            "name",
            "industry",
            "industry_label",
            "size",
            "region",
            "is_client",
            "branch",
            "rm",
            "internal_rating",
            "claim",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators: list = []  # uniqueness is the service's (model) check, named on `uscc`


class RegistryCardSerializer(ModelSerializer):
    """The registry card: what anyone with a role may learn of an enterprise by its exact credit code."""

    owning_branch = BranchByCodeField(source="branch", read_only=True, allow_null=True)
    owning_branch_name = serializers.CharField(source="branch.name", read_only=True, allow_null=True, default=None)
    reach = serializers.SerializerMethodField(help_text=_("full, counterparty or registry: what you may open."))

    class Meta:
        model = Enterprise
        fields = ["uscc", "name", "is_client", "owning_branch", "owning_branch_name", "reach"]
        read_only_fields = fields

    def get_reach(self, obj) -> str:
        from clients.access import reach

        request = self.context.get("request")
        return str(reach(getattr(request, "user", None), obj))


class RatingSerializer(Serializer):
    internal_rating = serializers.ChoiceField(choices=Rating.choices, allow_blank=True)


class LimitSerializer(Serializer):
    unified_credit_limit = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=Decimal("0"))
    confirm = serializers.BooleanField(
        default=False, help_text=_("Needed when the new limit is far above or below the current one.")
    )


# --- group clients ------------------------------------------------------------------------------------------


class GroupClientSerializer(ModelSerializer):
    """The brief form used in lists and for writes."""

    core_enterprise_uscc = EnterpriseCodeField(
        source="core_enterprise", write_only=True, reach=Reach.FULL, help_text=_("Credit code of the core enterprise."),
    )
    core_enterprise = EnterpriseBriefSerializer(read_only=True)
    lead_rm = StaffByUsernameField(required=False, help_text=_("Username of the lead RM (an RM leads what they record)."))
    team = StaffByUsernameField(many=True, required=False, help_text=_("Usernames of the coverage team."))
    branch = BranchByCodeField(required=False, help_text=_("Branch code (an RM records for their own branch)."))
    unified_credit_limit = serializers.DecimalField(
        max_digits=20, decimal_places=2, required=False, min_value=Decimal("0"),
        help_text=_("Set by head office here, or by risk officers with the limit action."),
    )
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = GroupClient
        fields = [
            "id",
            "name",
            "core_enterprise_uscc",
            "core_enterprise",
            "lead_rm",
            "team",
            "branch",
            "tier",
            "unified_credit_limit",
            "member_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators: list = []  # the service names the field (one group per core)


class GroupMemberSerializer(serializers.Serializer):
    uscc = serializers.CharField(source="enterprise.uscc")
    name = serializers.CharField(source="enterprise.name")
    is_client = serializers.BooleanField(source="enterprise.is_client")
    reason = serializers.CharField()
    controlled_share = serializers.DecimalField(max_digits=7, decimal_places=4)
    depth = serializers.IntegerField()


class ControlTreeNodeSerializer(serializers.Serializer):
    """A node of the control tree: the group at the top, persons who control the core, enterprises."""

    kind = serializers.ChoiceField(choices=["group", "person", "enterprise"])
    id = serializers.IntegerField()
    name = serializers.CharField()
    uscc = serializers.CharField(allow_blank=True)
    share_pct = serializers.FloatField(
        allow_null=True, help_text=_("Share the parent node holds in this one.")
    )
    reason = serializers.CharField(allow_blank=True)
    is_client = serializers.BooleanField()
    children = serializers.SerializerMethodField()

    @extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/ControlTreeNode"}})
    def get_children(self, obj):  # pragma: no cover - the tree is rendered from as_dict()
        return obj.get("children", [])


class KeyFiguresSerializer(serializers.Serializer):
    # Sums over many accounts, and a use of 10^20 % (a limit of 0.01): figures, never a 500 from quantize.
    deposits = serializers.DecimalField(max_digits=28, decimal_places=2)
    loans = serializers.DecimalField(max_digits=28, decimal_places=2)
    limit = serializers.DecimalField(max_digits=20, decimal_places=2)
    limit_used_pct = serializers.DecimalField(max_digits=28, decimal_places=1, allow_null=True)
    balance_date = serializers.DateField(allow_null=True)


class GroupClientDetailSerializer(GroupClientSerializer):
    """The group with its members, control tree and key figures (a fixed number of queries)."""

    members = GroupMemberSerializer(many=True, read_only=True)
    control_tree = ControlTreeNodeSerializer(read_only=True)
    key_figures = KeyFiguresSerializer(read_only=True)
    membership_warnings = serializers.JSONField(read_only=True)

    class Meta(GroupClientSerializer.Meta):
        fields = [
            *GroupClientSerializer.Meta.fields,
            "membership_refreshed_at",
            "membership_warnings",
            "key_figures",
            "members",
            "control_tree",
        ]
        read_only_fields = [*GroupClientSerializer.Meta.read_only_fields, "membership_refreshed_at"]

    def to_representation(self, instance):
        members = list(selectors.group_members(group=instance))
        instance.members = members
        instance.control_tree = selectors.group_control_tree(group=instance, members=members).as_dict()
        instance.key_figures = selectors.group_key_figures(group=instance)
        data = super().to_representation(instance)
        data["control_tree"] = instance.control_tree
        if data.get("member_count") is None:  # an instance without the annotation: count what is shown
            data["member_count"] = len(members)
        return data


# --- control links ------------------------------------------------------------------------------------------


class ControlLinkSerializer(ModelSerializer):
    """Parent is an enterprise (`parent_uscc`) or a person (`parent_person`, an id), never both."""

    parent_uscc = EnterpriseCodeField(
        source="parent_enterprise",
        required=False,
        allow_null=True,
        help_text=_("Credit code of the parent enterprise (or give parent_person)."),
    )
    parent_person = PersonByIdField(
        required=False, allow_null=True, help_text=_("Id of the parent person (or give parent_uscc).")
    )
    parent_name = serializers.SerializerMethodField()
    child_uscc = EnterpriseCodeField(source="child", help_text=_("Credit code of the child enterprise."))
    child_name = serializers.CharField(source="child.name", read_only=True)
    share_pct = serializers.DecimalField(
        max_digits=7,
        decimal_places=4,
        required=False,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Share of the child held by the parent, 0 to 100."),
    )

    class Meta:
        model = ControlLink
        fields = [
            "id",
            "parent_uscc",
            "parent_person",
            "parent_name",
            "child_uscc",
            "child_name",
            "share_pct",
            "control_type",
            "note",
        ]
        read_only_fields = ["id"]
        validators = []  # the model's constraints are checked below with field names, and by the service

    def get_parent_name(self, obj) -> str:
        parent = obj.parent
        return parent.name if parent else ""

    def validate(self, attrs):
        given_e = "parent_enterprise" in attrs and attrs["parent_enterprise"] is not None
        given_p = "parent_person" in attrs and attrs["parent_person"] is not None
        if given_e and given_p:
            message = _("Give either parent_uscc or parent_person, not both.")
            raise serializers.ValidationError({"parent_uscc": [message], "parent_person": [message]})
        if given_e:
            attrs["parent_person"] = None
        elif given_p:
            attrs["parent_enterprise"] = None
        instance = self.instance
        parent_e = attrs.get("parent_enterprise", instance.parent_enterprise if instance else None)
        parent_p = attrs.get("parent_person", instance.parent_person if instance else None)
        if parent_e is None and parent_p is None:
            raise serializers.ValidationError(
                {
                    "parent_uscc": [
                        _("Give the parent: parent_uscc (an enterprise) or parent_person (a person id).")
                    ]
                }
            )
        # Self-links and duplicates are the service's rules (clients.services.control_link_check).
        return attrs


# --- financial statements ---------------------------------------------------------------------------------


class FinancialStatementSerializer(ModelSerializer):
    enterprise_uscc = EnterpriseCodeField(source="enterprise", reach=Reach.FULL,
                                          help_text=_("Credit code of the enterprise."))
    # Up to 10^20 (liabilities of 10^18 over assets of 0.01): implausible, but an answer, not a 500.
    debt_ratio = serializers.DecimalField(max_digits=28, decimal_places=4, read_only=True, allow_null=True)
    current_ratio = serializers.DecimalField(max_digits=28, decimal_places=4, read_only=True, allow_null=True)

    class Meta:
        model = FinancialStatement
        fields = [
            "id",
            "enterprise_uscc",
            "period_end",
            "period_type",
            "revenue",
            "net_profit",
            "total_assets",
            "total_liabilities",
            "current_assets",
            "current_liabilities",
            "receivables",
            "inventory",
            "operating_cash_flow",
            "source",
            "debt_ratio",
            "current_ratio",
        ]
        read_only_fields = ["id"]
        validators = []  # an upsert: the same enterprise and period replaces the figures


# --- accounts and balances ----------------------------------------------------------------------------------


class BankAccountSerializer(ModelSerializer):
    enterprise_uscc = EnterpriseCodeField(source="enterprise", reach=Reach.FULL,
                                          help_text=_("Credit code of the enterprise."))
    latest_balance = serializers.DecimalField(
        max_digits=20, decimal_places=2, read_only=True, allow_null=True
    )
    latest_balance_date = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = BankAccount
        fields = [
            "id",
            "account_no",
            "enterprise_uscc",
            "kind",
            "currency",
            "opened_on",
            "closed_on",
            "latest_balance",
            "latest_balance_date",
        ]
        read_only_fields = ["id"]


class AccountBalanceSerializer(ModelSerializer):
    class Meta:
        model = AccountBalance
        fields = ["date", "balance"]
        validators = []  # recording a date again corrects that day's balance


# --- persons and interactions -------------------------------------------------------------------------------


class PersonSerializer(ModelSerializer):
    """The identity number is masked for everyone but head office, in every answer."""

    id_number = ResidentIdField(
        max_length=18,
        help_text=_("Resident ID number; answers show it masked except to head office. Recording a number "
                    "someone else recorded creates your own record of the person and tells nothing of theirs."),
    )

    class Meta:
        model = Person
        fields = ["id", "name", "id_number"]
        read_only_fields = ["id"]
        validators: list = []

    def validate_id_number(self, value):
        from django.core.exceptions import ValidationError as DjangoValidationError

        from clients.validators import validate_resident_id

        value = value.strip().upper()
        try:
            validate_resident_id(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        data["id_number"] = instance.id_number_for(getattr(request, "user", None))
        return data


class InteractionSerializer(ModelSerializer):
    enterprise_uscc = EnterpriseCodeField(source="enterprise", reach=Reach.FULL,
                                          help_text=_("Credit code of the enterprise."))
    staff = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Interaction
        fields = ["id", "enterprise_uscc", "staff", "kind", "occurred_at", "subject", "notes"]
        read_only_fields = ["id", "staff"]


# --- change requests -----------------------------------------------------------------------------------------


class ChangeApprovalSerializer(ModelSerializer):
    branch = BranchByCodeField(read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ChangeApproval
        fields = ["branch", "approved_by", "approved_at"]
        read_only_fields = fields


class ChangeRequestSerializer(ModelSerializer):
    # A request concerns an enterprise or a group (the other is null); it is decided or not yet.
    enterprise = EnterpriseBriefSerializer(read_only=True, allow_null=True)
    group = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    sides = BranchByCodeField(many=True, read_only=True)
    approvals = ChangeApprovalSerializer(many=True, read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ChangeRequest
        fields = ["id", "kind", "status", "enterprise", "group", "payload", "before", "reason", "sides", "approvals",
                  "requested_by", "requested_at", "decided_by", "decided_at", "decision_note"]
        read_only_fields = fields


class TransferRequestSerializer(Serializer):
    """Ask to transfer an enterprise (owning branch, RM) or a group client (branch, lead RM, team)."""

    enterprise_uscc = EnterpriseCodeField(source="enterprise", required=False, reach=Reach.FULL)
    group = serializers.IntegerField(required=False, help_text=_("Id of a group client in your reach."))
    branch = BranchByCodeField(required=False)
    rm = StaffByUsernameField(required=False)
    lead_rm = StaffByUsernameField(required=False)
    team = StaffByUsernameField(many=True, required=False)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if ("enterprise" in attrs) == ("group" in attrs):
            raise serializers.ValidationError({"enterprise_uscc": [_("Name either an enterprise or a group client.")]})
        if "group" in attrs:
            request = self.context.get("request")
            group = GroupClient.objects.for_user(getattr(request, "user", None)).filter(pk=attrs["group"]).first()
            if group is None:
                raise serializers.ValidationError({"group": [_("No group client with this id.")]})
            attrs["group"] = group
        return attrs


class DecisionSerializer(Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

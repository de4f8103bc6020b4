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

from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from clients import selectors
from clients.models import (
    AccountBalance,
    BankAccount,
    ControlLink,
    Enterprise,
    FinancialStatement,
    GroupClient,
    Interaction,
    KeyPerson,
    Person,
)
from clients.validators import normalize_uscc, validate_uscc
from staff.models import Branch

User = get_user_model()


# --- natural-key fields ---------------------------------------------------------------------------------


class UsccField(serializers.CharField):
    """A credit code as typed by people: spaces, dashes and lower case are normalised away."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return normalize_uscc(super().to_internal_value(data))


@extend_schema_field(
    {
        "type": "string",
        "example": "91520100MA6DNQ5X1E",
        "description": "Unified social credit code (18 characters).",
    }
)
class EnterpriseByUsccField(serializers.SlugRelatedField):
    """An enterprise given by its credit code, looked up among the enterprises the user may see."""

    default_error_messages = {
        "does_not_exist": _("No enterprise with this credit code."),
        "invalid": _("Give a credit code as text."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Enterprise.objects.all())
        super().__init__(slug_field="uscc", **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return Enterprise.objects.for_user(user)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(normalize_uscc(data))


class StaffByUsernameField(serializers.SlugRelatedField):
    """A member of staff (a login with a staff profile) given by username."""

    default_error_messages = {"does_not_exist": _("No staff member with this username.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", User.objects.filter(profile__isnull=False))
        super().__init__(slug_field="username", **kwargs)


class BranchByCodeField(serializers.SlugRelatedField):
    default_error_messages = {"does_not_exist": _("No branch with this code.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Branch.objects.all())
        super().__init__(slug_field="code", **kwargs)


class PersonByIdField(serializers.PrimaryKeyRelatedField):
    """A person by id: one the user can see, or one not yet attached to any enterprise (just created
    through `persons`, so that it can be linked as a controller)."""

    default_error_messages = {"does_not_exist": _("No person with this id.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Person.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        attached = Q(Exists(ControlLink.objects.filter(parent_person=OuterRef("pk")))) | Q(
            Exists(KeyPerson.objects.filter(person=OuterRef("pk")))
        )
        visible = Person.objects.for_user(user).values("pk")
        return Person.objects.filter(Q(pk__in=visible) | ~attached)


class BriefEnterpriseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enterprise
        fields = ["uscc", "name", "is_client"]
        read_only_fields = fields


# --- enterprises -------------------------------------------------------------------------------------------


class EnterpriseSerializer(serializers.ModelSerializer):
    uscc = UsccField(
        help_text=_("Unified social credit code (GB 32100-2015); the enterprise's key in this API."),
        validators=[
            validate_uscc,
            UniqueValidator(
                Enterprise.objects.all(), message=_("An enterprise with this credit code already exists.")
            ),
        ],
    )
    branch = BranchByCodeField(required=False, allow_null=True, help_text=_("Owning branch code."))
    rm = StaffByUsernameField(required=False, allow_null=True, help_text=_("Username of the RM."))
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
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


# --- group clients ------------------------------------------------------------------------------------------


class GroupClientSerializer(serializers.ModelSerializer):
    """The brief form used in lists and for writes."""

    core_enterprise_uscc = EnterpriseByUsccField(
        source="core_enterprise",
        write_only=True,
        validators=[
            UniqueValidator(
                GroupClient.objects.all(), message=_("This enterprise is already the core of a group client.")
            )
        ],
        help_text=_("Credit code of the core enterprise."),
    )
    core_enterprise = BriefEnterpriseSerializer(read_only=True)
    lead_rm = StaffByUsernameField(help_text=_("Username of the lead RM."))
    team = StaffByUsernameField(many=True, required=False, help_text=_("Usernames of the coverage team."))
    branch = BranchByCodeField(help_text=_("Branch code."))
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
    deposits = serializers.DecimalField(max_digits=20, decimal_places=2)
    loans = serializers.DecimalField(max_digits=20, decimal_places=2)
    limit = serializers.DecimalField(max_digits=20, decimal_places=2)
    limit_used_pct = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
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
        if "member_count" in data and data["member_count"] is None:
            data["member_count"] = len(members)
        return data


# --- control links ------------------------------------------------------------------------------------------


class ControlLinkSerializer(serializers.ModelSerializer):
    """Parent is an enterprise (`parent_uscc`) or a person (`parent_person`, an id), never both."""

    parent_uscc = EnterpriseByUsccField(
        source="parent_enterprise",
        required=False,
        allow_null=True,
        help_text=_("Credit code of the parent enterprise (or give parent_person)."),
    )
    parent_person = PersonByIdField(
        required=False, allow_null=True, help_text=_("Id of the parent person (or give parent_uscc).")
    )
    parent_name = serializers.SerializerMethodField()
    child_uscc = EnterpriseByUsccField(source="child", help_text=_("Credit code of the child enterprise."))
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
        child = attrs.get("child", instance.child if instance else None)
        if parent_e is None and parent_p is None:
            raise serializers.ValidationError(
                {
                    "parent_uscc": [
                        _("Give the parent: parent_uscc (an enterprise) or parent_person (a person id).")
                    ]
                }
            )
        if parent_e is not None and child is not None and parent_e.pk == child.pk:
            raise serializers.ValidationError(
                {"child_uscc": [_("An enterprise cannot hold a share of itself.")]}
            )
        if child is not None:
            same = ControlLink.objects.filter(child=child)
            if parent_e is not None:
                same = same.filter(parent_enterprise=parent_e)
            else:
                same = same.filter(parent_person=parent_p)
            if instance is not None:
                same = same.exclude(pk=instance.pk)
            if same.exists():
                raise serializers.ValidationError(
                    {"child_uscc": [_("This parent already has a link to this child.")]}
                )
        return attrs


# --- financial statements ---------------------------------------------------------------------------------


class FinancialStatementSerializer(serializers.ModelSerializer):
    enterprise_uscc = EnterpriseByUsccField(
        source="enterprise", help_text=_("Credit code of the enterprise.")
    )
    debt_ratio = serializers.DecimalField(max_digits=12, decimal_places=4, read_only=True, allow_null=True)
    current_ratio = serializers.DecimalField(max_digits=12, decimal_places=4, read_only=True, allow_null=True)

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


class BankAccountSerializer(serializers.ModelSerializer):
    enterprise_uscc = EnterpriseByUsccField(
        source="enterprise", help_text=_("Credit code of the enterprise.")
    )
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


class AccountBalanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccountBalance
        fields = ["date", "balance"]
        validators = []  # recording a date again corrects that day's balance


# --- persons and interactions -------------------------------------------------------------------------------


class PersonSerializer(serializers.ModelSerializer):
    """The identity number is masked for everyone but head office, in every answer."""

    id_number = serializers.CharField(
        max_length=18,
        validators=[
            UniqueValidator(Person.objects.all(), message=_("A person with this ID number already exists."))
        ],
        help_text=_("Resident ID number; answers show it masked except to head office."),
    )

    class Meta:
        model = Person
        fields = ["id", "name", "id_number"]
        read_only_fields = ["id"]

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


class InteractionSerializer(serializers.ModelSerializer):
    enterprise_uscc = EnterpriseByUsccField(
        source="enterprise", help_text=_("Credit code of the enterprise.")
    )
    staff = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Interaction
        fields = ["id", "enterprise_uscc", "staff", "kind", "occurred_at", "subject", "notes"]
        read_only_fields = ["id", "staff"]

"""Group clients, their legal entities, the people who control them, and the bank's data on them."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from clients.reference import REGION_CHOICES, industry_label
from clients.validators import validate_industry_code, validate_resident_id, validate_uscc
from core.dates import validate_business_date, validate_business_datetime
from staff.models import Branch

MONEY = {"max_digits": 20, "decimal_places": 2}


class EnterpriseSize(models.TextChoices):
    LARGE = "large", _("Large")
    MEDIUM = "medium", _("Medium")
    SMALL = "small", _("Small")
    MICRO = "micro", _("Micro")


class Rating(models.TextChoices):
    AAA = "AAA", "AAA"
    AA = "AA", "AA"
    A = "A", "A"
    BBB = "BBB", "BBB"
    BB = "BB", "BB"
    B = "B", "B"
    CCC = "CCC", "CCC"
    C = "C", "C"
    D = "D", "D"


class EnterpriseQuerySet(models.QuerySet):
    def for_user(self, user):
        """The user's full record (clients.access): the reach every page and endpoint of client data
        starts from. Counterparties and registry cards are asked for explicitly."""
        from clients.access import full_enterprises

        return full_enterprises(user, self)

    def counterparties_for(self, user):
        from clients.access import counterparty_enterprises

        return counterparty_enterprises(user, self)


class Enterprise(models.Model):
    """A legal-person client or prospect (法人客户), identified by its unified social credit code."""

    name = models.CharField(_("name"), max_length=200, db_index=True)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc],
        help_text=_("18 characters, GB 32100-2015."),
    )
    industry = models.CharField(
        _("industry (GB/T 4754)"), max_length=5, blank=True, validators=[validate_industry_code]
    )
    size = models.CharField(_("size"), max_length=10, choices=EnterpriseSize.choices, blank=True)
    region = models.CharField(_("region"), max_length=2, choices=REGION_CHOICES, blank=True)
    is_client = models.BooleanField(
        _("client of the bank"), default=False, help_text=_("Unticked: a prospect.")
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("owning branch"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="enterprises",
    )
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("relationship manager"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="enterprises",
    )
    internal_rating = models.CharField(_("internal rating"), max_length=3, choices=Rating.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
        help_text=_("Who put it on file; an unowned prospect is in its recorder's full record."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Pinyin initials and full pinyin of the name, for search (clients.search keeps it; NULL: not yet).
    search_pinyin = models.TextField(null=True, blank=True, editable=False)  # noqa: DJ001 (NULL: not computed yet)
    history = HistoricalRecords(excluded_fields=["search_pinyin"])

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def industry_label(self) -> str:
        return industry_label(self.industry)

    @property
    def is_unowned(self) -> bool:
        """No branch owns it and no RM serves it: a prospect any branch may claim."""
        return self.branch_id is None and self.rm_id is None


class PersonQuerySet(models.QuerySet):
    def for_user(self, user):
        """Persons who control or manage an enterprise of the user's full record, or whom they recorded."""
        from clients.access import persons_in_reach

        return persons_in_reach(user, self)


class Person(models.Model):
    """A natural person who controls or manages enterprises (实际控制人, key managers), as recorded by one
    user (or by head office and its systems, `recorded_by` empty).

    The identity number is personal data: pages and API show it masked except to head office, and no
    answer may confirm a number to someone who cannot see it. So a number is unique per recorder, not
    across the bank: recording a person whom somebody else recorded creates the recorder's own row
    and says nothing about the other. Rows with the same number are the same natural person for the
    control tree (clients.control works on the number), which head office sees whole."""

    name = models.CharField(_("name"), max_length=100)
    id_number = models.CharField(
        _("resident ID number"), max_length=18, db_index=True, validators=[validate_resident_id]
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    history = HistoricalRecords(excluded_fields=["id_number"])

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number", "recorded_by"], name="person_unique_per_recorder",
                violation_error_message=_("You have already recorded a person with this ID number."),
            ),
            models.UniqueConstraint(
                fields=["id_number"], condition=models.Q(recorded_by__isnull=True),
                name="person_unique_head_office",
                violation_error_message=_("A person with this ID number already exists."),
            ),
        ]

    def __str__(self):
        return self.name

    def id_number_for(self, user) -> str:
        from clients.access import sees_unmasked_identity
        from clients.validators import mask_identity

        return self.id_number if sees_unmasked_identity(user) else mask_identity(self.id_number)


class KeyPersonRole(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal_rep", _("Legal representative")
    CHAIRMAN = "chairman", _("Chairman")
    GENERAL_MANAGER = "gm", _("General manager")
    CFO = "cfo", _("Chief financial officer")
    DIRECTOR = "director", _("Director")


class KeyPerson(models.Model):
    """A person's management role in an enterprise."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="key_people"
    )
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=KeyPersonRole.choices)

    class Meta:
        verbose_name = _("key person")
        verbose_name_plural = _("key people")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "person", "role"], name="keyperson_unique_role")
        ]

    def __str__(self):
        return f"{self.person} ({self.get_role_display()}, {self.enterprise})"


class Tier(models.TextChoices):
    STRATEGIC = "strategic", _("Strategic")
    KEY = "key", pgettext_lazy("group client tier", "Key")
    GENERAL = "general", _("General")


class GroupClientQuerySet(models.QuerySet):
    def for_user(self, user):
        """The groups in the user's reach (clients.access)."""
        from clients.access import groups_in_reach

        return groups_in_reach(user, self)


class GroupClient(models.Model):
    """A conglomerate (集团客户): a core enterprise and the entities it controls."""

    name = models.CharField(_("name"), max_length=200, db_index=True)
    core_enterprise = models.OneToOneField(
        Enterprise, verbose_name=_("core enterprise"), on_delete=models.PROTECT, related_name="led_group"
    )
    lead_rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("lead RM"), on_delete=models.PROTECT,
        related_name="led_groups",
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("coverage team"), blank=True, related_name="covered_groups"
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="group_clients"
    )
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.GENERAL)
    unified_credit_limit = models.DecimalField(
        _("unified credit limit (CNY)"), **MONEY, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    membership_refreshed_at = models.DateTimeField(_("membership refreshed"), null=True, blank=True)
    membership_warnings = models.JSONField(_("membership warnings"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Pinyin initials and full pinyin of the name, for search (clients.search keeps it; NULL: not yet).
    search_pinyin = models.TextField(null=True, blank=True, editable=False)  # noqa: DJ001 (NULL: not computed yet)
    history = HistoricalRecords(
        m2m_fields=[team], excluded_fields=["membership_refreshed_at", "membership_warnings", "search_pinyin"]
    )

    objects = GroupClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("group client")
        verbose_name_plural = _("group clients")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unified_credit_limit__gte=0),
                name="groupclient_limit_not_negative",
                violation_error_message=_("The unified credit limit cannot be negative."),
            )
        ]

    def __str__(self):
        return self.name


class ControlType(models.TextChoices):
    EQUITY = "equity", _("Equity")
    AGREEMENT = "agreement", _("Agreement")
    ACTUAL_CONTROLLER = "actual", _("Actual controller")
    KINSHIP = "kinship", _("Kinship")


class ControlLinkQuerySet(models.QuerySet):
    def for_user(self, user):
        """Visible where the child or the parent enterprise is in the user's full record."""
        from clients.access import restrict_to_full

        return restrict_to_full(user, self, "child", "parent_enterprise")


class ControlLink(models.Model):
    """Parent (an enterprise or a person) holds a share of, or controls, a child enterprise."""

    parent_enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("parent enterprise"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="child_links",
    )
    parent_person = models.ForeignKey(
        Person, verbose_name=_("parent person"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="child_links",
    )
    child = models.ForeignKey(
        Enterprise, verbose_name=_("child enterprise"), on_delete=models.CASCADE, related_name="parent_links"
    )
    share_pct = models.DecimalField(
        _("share %"), max_digits=7, decimal_places=4, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    control_type = models.CharField(
        _("control type"), max_length=10, choices=ControlType.choices, default=ControlType.EQUITY
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    objects = ControlLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("control link")
        verbose_name_plural = _("control links")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(parent_enterprise__isnull=False, parent_person__isnull=True)
                    | models.Q(parent_enterprise__isnull=True, parent_person__isnull=False)
                ),
                name="controllink_one_parent",
                violation_error_message=_("A control link has exactly one parent: an enterprise or a person."),
            ),
            models.CheckConstraint(
                condition=models.Q(share_pct__gte=0, share_pct__lte=100),
                name="controllink_share_range",
                violation_error_message=_("The share must be between 0 and 100 %."),
            ),
            models.CheckConstraint(
                condition=~models.Q(parent_enterprise=models.F("child")),
                name="controllink_not_self",
                violation_error_message=_("An enterprise cannot hold a share of itself."),
            ),
            models.UniqueConstraint(
                fields=["parent_enterprise", "child"], name="controllink_unique_enterprise_parent",
                condition=models.Q(parent_enterprise__isnull=False),
                violation_error_message=_("This parent already has a link to this child."),
            ),
            models.UniqueConstraint(
                fields=["parent_person", "child"], name="controllink_unique_person_parent",
                condition=models.Q(parent_person__isnull=False),
                violation_error_message=_("This person already has a link to this child."),
            ),
        ]

    def __str__(self):
        return f"{self.parent} -> {self.child} ({self.share_pct}%)"

    @property
    def parent(self):
        return self.parent_enterprise or self.parent_person


class MembershipReason(models.TextChoices):
    CORE = "core", _("Core enterprise")
    MAJORITY = "majority", _("Control above 50 %")
    ACTUAL = "actual", _("Actual or agreement control")
    IDENTIFIED = "identified", _("Identified by the group tests and confirmed")


class GroupMembership(models.Model):
    """Derived: an enterprise belongs to a group because the group's core controls it.

    Rebuilt by `clients.services.group_membership_refresh` from the control links; never edited."""

    group = models.ForeignKey(GroupClient, on_delete=models.CASCADE, related_name="memberships")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="memberships")
    reason = models.CharField(max_length=10, choices=MembershipReason.choices)
    controlled_share = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal("0"))
    depth = models.PositiveSmallIntegerField(default=0)
    # The controlling parent holding the largest share: the member's place in the drawn tree.
    via = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    via_share = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)

    class Meta:
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        constraints = [
            models.UniqueConstraint(fields=["group", "enterprise"], name="membership_unique")
        ]

    def __str__(self):
        return f"{self.enterprise} in {self.group}"


class DependentQuerySet(models.QuerySet):
    """Records that hang off an enterprise are part of its full record."""

    def for_user(self, user):
        from clients.access import restrict_to_full

        return restrict_to_full(user, self, "enterprise")


class PeriodType(models.TextChoices):
    ANNUAL = "annual", _("Annual")
    HALF_YEAR = "half", _("Half-year")
    QUARTER = "quarter", _("Quarter")


class FinancialStatement(models.Model):
    """Key figures of an enterprise's financial statements for one period (CNY)."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="financials"
    )
    period_end = models.DateField(_("period end"), validators=[validate_business_date])
    period_type = models.CharField(_("period type"), max_length=10, choices=PeriodType.choices)
    revenue = models.DecimalField(_("revenue"), **MONEY, null=True, blank=True)
    net_profit = models.DecimalField(_("net profit"), **MONEY, null=True, blank=True)
    total_assets = models.DecimalField(_("total assets"), **MONEY, null=True, blank=True)
    total_liabilities = models.DecimalField(_("total liabilities"), **MONEY, null=True, blank=True)
    current_assets = models.DecimalField(_("current assets"), **MONEY, null=True, blank=True)
    current_liabilities = models.DecimalField(_("current liabilities"), **MONEY, null=True, blank=True)
    receivables = models.DecimalField(_("accounts receivable"), **MONEY, null=True, blank=True)
    inventory = models.DecimalField(_("inventory"), **MONEY, null=True, blank=True)
    operating_cash_flow = models.DecimalField(_("operating cash flow"), **MONEY, null=True, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    history = HistoricalRecords()

    objects = DependentQuerySet.as_manager()

    class Meta:
        verbose_name = _("financial statement")
        verbose_name_plural = _("financial statements")
        ordering = ["enterprise", "-period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "period_end", "period_type"], name="financials_unique_period",
                violation_error_message=_("This enterprise already has a statement for this period."),
            )
        ]

    def __str__(self):
        return f"{self.enterprise} {self.period_end} ({self.get_period_type_display()})"

    @property
    def debt_ratio(self):
        if self.total_assets and self.total_liabilities is not None:
            return self.total_liabilities / self.total_assets
        return None

    @property
    def current_ratio(self):
        if self.current_liabilities and self.current_assets is not None:
            return self.current_assets / self.current_liabilities
        return None


class AccountKind(models.TextChoices):
    DEMAND_DEPOSIT = "demand", _("Demand deposit")
    TIME_DEPOSIT = "time", _("Time deposit")
    LOAN = "loan", _("Loan")
    BILL = "bill", _("Bank acceptance bill")


DEPOSIT_KINDS = (AccountKind.DEMAND_DEPOSIT, AccountKind.TIME_DEPOSIT)
CREDIT_KINDS = (AccountKind.LOAN, AccountKind.BILL)


class BankAccount(models.Model):
    """An account or product holding of an enterprise at this bank; balances are kept by date."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="accounts"
    )
    account_no = models.CharField(_("account number"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=AccountKind.choices)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    opened_on = models.DateField(_("opened on"), null=True, blank=True, validators=[validate_business_date])
    closed_on = models.DateField(_("closed on"), null=True, blank=True, validators=[validate_business_date])
    history = HistoricalRecords()

    objects = DependentQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["account_no"]

    def __str__(self):
        return self.account_no


class BalanceQuerySet(models.QuerySet):
    def for_user(self, user):
        from clients.access import restrict_to_full

        return restrict_to_full(user, self, "account__enterprise")


class AccountBalance(models.Model):
    """The end-of-day balance of an account (for loans: the outstanding principal)."""

    account = models.ForeignKey(
        BankAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="balances"
    )
    date = models.DateField(_("date"), validators=[validate_business_date])
    balance = models.DecimalField(_("balance"), **MONEY)

    objects = BalanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("account balance")
        verbose_name_plural = _("account balances")
        ordering = ["account", "-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "date"], name="balance_unique_day",
                violation_error_message=_("This account already has a balance for this date."),
            )
        ]

    def __str__(self):
        return f"{self.account} {self.date}: {self.balance}"


class InteractionKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    CALL = "call", _("Call")
    INTERVIEW = "interview", _("Interview")
    MEETING = "meeting", _("Meeting")


class Interaction(models.Model):
    """A contact with a client: visit, call, interview (拜访记录)."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="interactions"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff"), on_delete=models.PROTECT, related_name="interactions"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=InteractionKind.choices)
    occurred_at = models.DateTimeField(_("when"), validators=[validate_business_datetime])
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    objects = DependentQuerySet.as_manager()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["enterprise", "-occurred_at"], name="interaction_recent")]

    def __str__(self):
        return self.subject


# --- ownership: claims and four-eyes change requests ---------------------------------------------------------


class EnterpriseClaim(models.Model):
    """An unowned prospect claimed for a branch (客户认领): who claimed it, for which branch, when.

    Written by `clients.services.enterprise_claim`; a second claim is refused and names the holder."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="claims"
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("claimed by"), on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+")
    claimed_at = models.DateTimeField(_("claimed"), auto_now_add=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-claimed_at"]

    def __str__(self):
        return f"{self.enterprise} @ {self.branch}"


class ChangeRequestKind(models.TextChoices):
    TRANSFER = "transfer", _("Transfer of ownership")
    CONTROL_LINK = "control_link", _("Control link")


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPLIED = "applied", _("Approved and applied")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class ChangeRequestQuerySet(models.QuerySet):
    def for_user(self, user):
        """Requests the user made, and those waiting for (or decided by) an approver of their reach."""
        from clients.approvals import requests_in_reach

        return requests_in_reach(user, self)


class ChangeRequest(models.Model):
    """A change to sensitive client data that waits for the branch heads concerned (four eyes).

    - transfer: the owning branch and RM of an enterprise, or the branch, lead RM and coverage team
      of a group client (`payload` holds the requested values, `before` the values when asked);
    - control_link: a link that would bring enterprises outside the requester's full record into a
      group they cover, or change the membership of a group they do not cover.

    Each side (a branch: the giving and the receiving one) is approved by a branch head whose subtree
    holds it, or by head office; the request is applied when every side has approved. Who asked, who
    approved and when stay on the request and its approvals."""

    kind = models.CharField(_("kind"), max_length=20, choices=ChangeRequestKind.choices)
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="change_requests",
    )
    group = models.ForeignKey(
        GroupClient, verbose_name=_("group client"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="change_requests",
    )
    payload = models.JSONField(_("requested change"), default=dict)
    before = models.JSONField(_("values when asked"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    sides = models.ManyToManyField(Branch, verbose_name=_("branches that approve"), related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ChangeRequestStatus.choices, default=ChangeRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    history = HistoricalRecords(m2m_fields=[sides])

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["status", "-requested_at"], name="changerequest_open")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(enterprise__isnull=False) | models.Q(group__isnull=False),
                name="changerequest_has_subject",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def subject(self):
        return self.group if self.group_id else self.enterprise


class ChangeApproval(models.Model):
    """One side's approval of a change request: which branch it speaks for, who, when."""

    request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="approvals")
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), auto_now_add=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["approved_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "branch"], name="changeapproval_one_per_side")
        ]

    def __str__(self):
        return f"{self.request} / {self.branch}"

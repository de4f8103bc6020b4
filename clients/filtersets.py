"""One FilterSet per model: the page's filter form, the API's query parameters and the selectors."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.models import (
    AccountBalance,
    BankAccount,
    ControlLink,
    Enterprise,
    EnterpriseSize,
    FinancialStatement,
    GroupClient,
    Interaction,
    Rating,
    Tier,
)
from clients.reference import INDUSTRY_SECTION_CHOICES, REGION_CHOICES
from clients.search import validate_query
from core.api.filters import BigIntegerFormField
from core.sorting import SortFilter, Sorting, SortKey, rank


class ScopedFilterSet(django_filters.FilterSet):
    """A FilterSet that knows the acting user (from the request, or handed over by a selector), so a
    filter naming a group accepts only a group the user covers."""

    def __init__(self, data=None, queryset=None, *, request=None, user=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        self.user = user if user is not None else getattr(request, "user", None)

    def only_covered_group(self, queryset, group_id):
        """Filtering by a group the user does not cover would tell which of their own rows belong to
        it, so such a filter matches nothing."""
        if self.user is None or not GroupClient.objects.for_user(self.user).filter(pk=group_id).exists():
            return queryset.none()
        return queryset


class EnterpriseSearchFilter(django_filters.CharFilter):
    """`q`: words of an enterprise's name, its pinyin (initials or full) or part of its credit code
    (clients.search). `prefix` reaches the enterprise from the filtered model ("" for Enterprise,
    "enterprise__", ...)."""

    def __init__(self, *, prefix: str = "", **kwargs):
        self.prefix = prefix
        kwargs.setdefault("label", _("Search"))
        kwargs.setdefault("validators", [validate_query])
        super().__init__(**kwargs)

    def filter(self, qs, value):
        from clients.search import filter_enterprises

        return filter_enterprises(qs, value, prefix=self.prefix)


class EnterpriseCodeFilter(django_filters.CharFilter):
    """An exact credit code (normalised), on the enterprise reached by `field_name`."""

    def filter(self, qs, value):
        from clients.validators import normalize_uscc

        value = normalize_uscc(value or "")
        return qs.filter(**{self.field_name: value}) if value else qs


# --- list filters shared by pages and API -----------------------------------------------------------------


class IdField(BigIntegerFormField):
    def to_python(self, value):
        if isinstance(value, int) and not isinstance(value, bool):  # handed over by code, not typed
            value = str(value)
        return super().to_python(value)


class IdFilter(django_filters.NumberFilter):
    """An id: digits only, within bigint (the API's strict field, core.api.filters, on the pages too), so
    that `1.5` or a 30-digit number is an invalid filter (the page ignores it) and never reaches the
    database (SQLite cannot even bind it)."""

    field_class = IdField


ANY = _("All")  # the empty choice of every list filter ("本行客户：全部")


class AnyBooleanWidget(django_filters.widgets.BooleanWidget):
    """A yes/no filter whose empty choice reads "All"."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("", ANY), ("true", _("Yes")), ("false", _("No")))


def _with_member_count(queryset):
    from clients.selectors import with_member_count

    return queryset if "member_count" in queryset.query.annotations else with_member_count(queryset)


def _with_limit_use(queryset):
    from clients.limits import with_limit_use

    return with_limit_use(queryset)


GROUP_SORTING = Sorting(
    {
        "name": SortKey(_("Name"), ("name",), pinyin=True),
        "core": SortKey(_("Core enterprise"), ("core_enterprise__name",), pinyin=True),
        "tier": SortKey(_("Tier"), (rank("tier", Tier.values),)),
        "branch": SortKey(_("Branch"), ("branch__name",), pinyin=True),
        "lead_rm": SortKey(_("Lead RM"), ("lead_rm__profile__display_name", "lead_rm__username"), pinyin=True,
                           nullable=True),
        "members": SortKey(_("Members"), ("member_count",), descending_first=True, prepare=_with_member_count),
        "limit": SortKey(_("Unified limit"), ("unified_credit_limit",), descending_first=True),
        "limit_use": SortKey(_("Limit used"), ("limit_use_pct",), descending_first=True, prepare=_with_limit_use,
                             nullable=True),
    },
    default="name",
)

ENTERPRISE_SORTING = Sorting(
    {
        "name": SortKey(_("Name"), ("name",), pinyin=True),
        "uscc": SortKey(_("Credit code"), ("uscc",)),
        "industry": SortKey(_("Industry"), ("industry",)),
        "region": SortKey(_("Region"), ("region",)),
        "size": SortKey(_("Size"), (rank("size", EnterpriseSize.values),)),
        "status": SortKey(_("Status"), ("is_client",), descending_first=True),
        "branch": SortKey(_("Branch"), ("branch__name",), pinyin=True, nullable=True),
        "rm": SortKey(_("RM"), ("rm__profile__display_name", "rm__username"), pinyin=True, nullable=True),
        "rating": SortKey(_("Rating"), (rank("internal_rating", Rating.values),)),
    },
    default="name",
)


class Mine:
    LEAD = "lead"
    TEAM = "team"
    COVERED = "covered"
    CHOICES = [
        (LEAD, _("Groups I lead")),
        (TEAM, _("Groups on my coverage team")),
        (COVERED, _("Groups I lead or am on the team of")),
    ]


class GroupClientFilterSet(ScopedFilterSet):
    """The group list's filters (page and `GET /api/v1/group-clients/`).

    `branch` and `sub_branch` take a branch id and match its whole subtree (a branch's groups are
    those of its sub-branches); `lead_rm` a user id; `mine` the acting user's own groups. A branch or
    RM out of the user's reach matches nothing more than the user already sees (the list starts from
    the user's reach). `sort`: core.sorting, the keys of GROUP_SORTING."""

    q = django_filters.CharFilter(method="search", label=_("Search"), validators=[validate_query])
    mine = django_filters.ChoiceFilter(choices=Mine.CHOICES, method="by_mine", empty_label=ANY, label=_("Mine"))
    tier = django_filters.ChoiceFilter(choices=Tier.choices, empty_label=ANY, label=_("Tier"))
    industry = django_filters.ChoiceFilter(
        choices=INDUSTRY_SECTION_CHOICES, field_name="core_enterprise__industry", lookup_expr="startswith",
        empty_label=ANY, label=_("Industry"),
    )
    region = django_filters.ChoiceFilter(
        choices=REGION_CHOICES, field_name="core_enterprise__region", empty_label=ANY, label=_("Region")
    )
    branch = IdFilter(method="in_branch_subtree", label=_("Branch"),
                                         help_text=_("A branch id: its groups and those of its whole subtree."))
    sub_branch = IdFilter(method="in_branch_subtree", label=_("Sub-branch"),
                                             help_text=_("A sub-branch id (its subtree, like `branch`)."))
    lead_rm = IdFilter(field_name="lead_rm_id", label=_("Lead RM"))
    sort = SortFilter(GROUP_SORTING)

    class Meta:
        model = GroupClient
        fields = ["q", "mine", "tier", "industry", "region", "branch", "sub_branch", "lead_rm", "sort"]

    def by_mine(self, queryset, name, value):
        user_id = getattr(self.user, "pk", None)
        if user_id is None:
            return queryset.none()
        on_team = GroupClient.team.through.objects.filter(user_id=user_id).values("groupclient_id")
        if value == Mine.LEAD:
            return queryset.filter(lead_rm_id=user_id)
        if value == Mine.TEAM:
            return queryset.filter(pk__in=on_team)
        return queryset.filter(Q(lead_rm_id=user_id) | Q(pk__in=on_team))

    def in_branch_subtree(self, queryset, name, value):
        from staff.models import Branch

        path = Branch.objects.filter(pk=value).values("path")[:1]
        return queryset.filter(branch__in=Branch.objects.filter(path__startswith=path))

    def page_form(self):
        """The page's filter form: the branch, sub-branch and RM filters as lists of what the user's
        reach holds (head office: every branch and RM; branch heads and risk officers: their subtree),
        "mine" for those who lead groups; fields a role has no use for are left out."""
        from staff.scope import scope_for

        form = self.form
        form.fields.pop("sort")  # the column headers sort (a hidden input keeps the order)
        scope = scope_for(self.user)
        if not (scope.is_rm or scope.role == "branch_head"):
            form.fields.pop("mine")
        if not (scope.sees_all or scope.is_branch_wide):
            for name in ("branch", "sub_branch", "lead_rm"):
                form.fields.pop(name)
            return form
        branches, sub_branches, rms = branch_and_rm_choices(scope)
        if scope.sees_all:
            form.fields["branch"] = _choice_field(_("Branch"), branches)
        else:
            form.fields.pop("branch")
        form.fields["sub_branch"] = _choice_field(_("Sub-branch"), sub_branches)
        form.fields["lead_rm"] = _choice_field(_("Lead RM"), rms)
        form.order_fields(["q", "mine", "branch", "sub_branch", "lead_rm", "tier", "industry", "region"])
        return form

    def search(self, queryset, name, value):
        """Group name, its pinyin, or the core enterprise's name, pinyin or credit code (clients.search)."""
        from clients.search import filter_groups

        return filter_groups(queryset, value)


def _choice_field(label, choices) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, choices=[("", ANY), *choices], coerce=int, required=False)


def branch_and_rm_choices(scope) -> tuple[list, list, list]:
    """(branches, sub-branches, RMs) in the user's reach as (id, name) choices: two queries."""
    from staff.models import Branch, BranchLevel, Role, StaffProfile
    from staff.scope import branch_subtree_q

    nodes = Branch.objects.exclude(level=BranchLevel.HEAD_OFFICE)
    people = StaffProfile.objects.filter(role=Role.RM).select_related("user", "branch")
    if not scope.sees_all:
        nodes = nodes.filter(path__startswith=scope.branch_path or "-")
        people = people.filter(branch_subtree_q(scope, "branch"))
    branches, sub_branches = [], []
    for node in nodes.order_by("path").only("pk", "name", "level"):
        (branches if node.level == BranchLevel.BRANCH else sub_branches).append((node.pk, node.name))
    rms = [(p.user_id, f"{p.display_name or p.user.get_username()} · {p.branch.name}")
           for p in people.order_by("branch__path", "display_name", "user__username")]
    return branches, sub_branches, rms


class EnterpriseFilterSet(ScopedFilterSet):
    q = EnterpriseSearchFilter()
    uscc = EnterpriseCodeFilter(field_name="uscc", label=_("Unified social credit code"))
    is_client = django_filters.BooleanFilter(label=_("Client of the bank"), widget=AnyBooleanWidget)
    industry = django_filters.CharFilter(lookup_expr="startswith", label=_("Industry"))
    region = django_filters.ChoiceFilter(choices=REGION_CHOICES, empty_label=ANY, label=_("Region"))
    size = django_filters.ChoiceFilter(choices=EnterpriseSize.choices, empty_label=ANY, label=_("Size"))
    group = django_filters.NumberFilter(method="by_group", label=_("Group client"))
    sort = SortFilter(ENTERPRISE_SORTING)

    class Meta:
        model = Enterprise
        fields = ["q", "uscc", "is_client", "industry", "region", "size", "group", "sort"]

    def by_group(self, queryset, name, value):
        return self.only_covered_group(queryset, value).filter(memberships__group=value)


class ControlLinkFilterSet(ScopedFilterSet):
    child = django_filters.CharFilter(field_name="child__uscc", label=_("Child credit code"))
    parent = django_filters.CharFilter(field_name="parent_enterprise__uscc", label=_("Parent credit code"))
    group = django_filters.NumberFilter(method="by_group", label=_("Group client"))

    class Meta:
        model = ControlLink
        fields = ["child", "parent", "control_type", "group"]

    def by_group(self, queryset, name, value):
        return self.only_covered_group(queryset, value).filter(child__memberships__group=value)


class FinancialStatementFilterSet(django_filters.FilterSet):
    enterprise = django_filters.CharFilter(field_name="enterprise__uscc", label=_("Credit code"))
    period_end_after = django_filters.DateFilter(field_name="period_end", lookup_expr="gte")
    period_end_before = django_filters.DateFilter(field_name="period_end", lookup_expr="lte")

    class Meta:
        model = FinancialStatement
        fields = ["enterprise", "period_type", "period_end_after", "period_end_before"]


class BankAccountFilterSet(django_filters.FilterSet):
    enterprise = django_filters.CharFilter(field_name="enterprise__uscc", label=_("Credit code"))

    class Meta:
        model = BankAccount
        fields = ["enterprise", "kind", "currency"]


class AccountBalanceFilterSet(django_filters.FilterSet):
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = AccountBalance
        fields = ["date_after", "date_before"]


class InteractionFilterSet(django_filters.FilterSet):
    enterprise = django_filters.CharFilter(field_name="enterprise__uscc", label=_("Credit code"))

    class Meta:
        model = Interaction
        fields = ["enterprise", "kind"]

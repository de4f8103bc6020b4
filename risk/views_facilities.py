"""Pages of facilities, limits and pledges (issue 10 parts 2 and 3): the facilities list (filters,
sorting), a facility with its pledges and history, the facility form with the htmx limit-use preview,
the pledge form, a group's limit page (the limit tree, sub-limit editing), other banks' financing, the
concentration limits and the related parties. Views are thin: risk.facilities, risk.pledges and
risk.exposure do the work; what a user sees follows the models' `for_user` querysets (out of reach:
404)."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from clients.access import groups_in_reach
from clients.models import GroupMembership
from core.errors import apply_to_form
from core.forms import AmountField, UserFormMixin
from core.history import change_history
from core.htmx import is_fragment
from core.permissions import ensure_can_set_limits_and_ratings, is_head_office
from core.sorting import SortFilter, Sorting, SortKey
from risk import exposure, facilities, pledges
from risk.models import (
    Facility,
    FacilityStatus,
    OtherBankFinancing,
    Pledge,
    PledgeKind,
    RelatedParty,
    RiskSettings,
    SubLimit,
)
from services.models import Product
from staff.scope import scope_for

PAGE_SIZE = 50

FACILITY_SORTING = Sorting({
    "enterprise": SortKey(gettext_lazy("Enterprise"), ("enterprise__name",), pinyin=True),
    "reference": SortKey(gettext_lazy("Reference"), ("reference",)),
    "limit": SortKey(gettext_lazy("Limit"), ("limit_amount",), descending_first=True),
    "drawn": SortKey(gettext_lazy("Drawn"), ("drawn",), descending_first=True),
    "end": SortKey(gettext_lazy("End date"), ("end_date",)),
}, default="enterprise")


def _can_set(user) -> bool:
    return scope_for(user).can_set_limits_and_ratings


def _can_record_other_banks(user) -> bool:
    scope = scope_for(user)
    return scope.can_edit_clients or scope.can_set_limits_and_ratings


# --- the facilities list -------------------------------------------------------------------------------


class FacilityFilterSet(django_filters.FilterSet):
    group = django_filters.NumberFilter(label=gettext_lazy("Group client"), method="filter_group", widget=forms.Select)
    enterprise = django_filters.CharFilter(label=gettext_lazy("Enterprise (name or credit code)"),
                                           method="filter_enterprise")
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.all(), field_name="product",
                                               label=gettext_lazy("Product"), to_field_name="code",
                                               empty_label=gettext_lazy("All"))
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), choices=FacilityStatus.choices,
                                         empty_label=gettext_lazy("All"))
    sort = SortFilter(FACILITY_SORTING)

    class Meta:
        model = Facility
        fields = ["group", "enterprise", "product", "status"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        groups = list(groups_in_reach(user).order_by("name").values_list("pk", "name")[:500])
        self.filters["group"].field.widget.choices = [("", _("All")), *groups]

    def filter_group(self, queryset, name, value):
        return queryset.filter(enterprise__in=GroupMembership.objects.filter(group_id=value).values("enterprise_id"))

    def filter_enterprise(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(enterprise__name__icontains=value) | Q(enterprise__uscc=value.upper()))


class FacilityListView(View):
    def get(self, request):
        base = FACILITY_SORTING.order(Facility.objects.for_user(request.user), request.GET.get("sort"))
        filterset = FacilityFilterSet(request.GET or None, queryset=base, user=request.user)
        qs = (filterset.qs if filterset.is_bound and filterset.is_valid() else base).select_related(
            "enterprise", "product")
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        form = filterset.form
        form.fields.pop("sort", None)
        ctx = {"page": page, "filter_form": form, "sort": FACILITY_SORTING.state(request),
               "can_set": _can_set(request.user)}
        template = "risk/_facility_table.html" if is_fragment(request) else "risk/facility_list.html"
        return render(request, template, ctx)


# --- one facility --------------------------------------------------------------------------------------


def _facility(user, pk) -> Facility:
    return get_object_or_404(Facility.objects.for_user(user).select_related("enterprise", "product"), pk=pk)


class FacilityDetailView(View):
    def get(self, request, pk):
        facility = _facility(request.user, pk)
        ctx = {"facility": facility,
               "pledges": list(facility.pledges.select_related("debtor").order_by("released_at", "-created_at")),
               "guarantees": list(facility.guarantees.select_related("guarantor")),
               "history": change_history(instance=facility), "can_set": _can_set(request.user)}
        return render(request, "risk/facility_detail.html", ctx)


class FacilityForm(UserFormMixin, forms.Form):
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=60)
    enterprise_uscc = forms.CharField(label=gettext_lazy("Enterprise credit code"), max_length=40)
    product = forms.ChoiceField(label=gettext_lazy("Product"))
    limit_amount = forms.DecimalField(label=gettext_lazy("Limit"), max_digits=20, decimal_places=2,
                                      min_value=0)
    drawn = forms.DecimalField(label=gettext_lazy("Drawn"), max_digits=20, decimal_places=2, min_value=0,
                               initial=0, required=False)
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, initial="CNY")
    start_date = forms.DateField(label=gettext_lazy("Start date"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=gettext_lazy("End date"), widget=forms.DateInput(attrs={"type": "date"}))
    collateral = forms.CharField(label=gettext_lazy("Collateral"), max_length=300, required=False)
    past_due_amount = forms.DecimalField(label=gettext_lazy("Past due"), max_digits=20, decimal_places=2,
                                         min_value=0, required=False)
    past_due_since = forms.DateField(label=gettext_lazy("Past due since"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    field_map = {"enterprise": "enterprise_uscc"}

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [(p.code, p.name) for p in Product.objects.filter(active=True)
                                          .order_by("family", "code")]
        if editing:
            self.fields["enterprise_uscc"].disabled = True

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["enterprise"] = data.pop("enterprise_uscc")
        for name in ("drawn", "past_due_amount"):  # left empty: nothing drawn, nothing past due
            if data.get(name) is None:
                data[name] = 0
        return data


class FacilityFormView(View):
    """Record (no pk) or change (pk) a facility: risk officers and head office."""

    def dispatch(self, request, *args, **kwargs):
        ensure_can_set_limits_and_ratings(request.user)
        return super().dispatch(request, *args, **kwargs)

    def _render(self, request, form, facility=None):
        return render(request, "risk/facility_form.html", {"form": form, "facility": facility})

    def get(self, request, pk=None):
        facility = _facility(request.user, pk) if pk else None
        initial = {}
        if facility:
            initial = {name: getattr(facility, name) for name in FacilityForm.base_fields if hasattr(facility, name)}
            initial.update(enterprise_uscc=facility.enterprise.uscc, product=facility.product.code)
        elif request.GET.get("enterprise"):
            initial["enterprise_uscc"] = request.GET["enterprise"][:40]
        return self._render(request, FacilityForm(initial=initial, user=request.user, editing=bool(facility)), facility)

    def post(self, request, pk=None):
        facility = _facility(request.user, pk) if pk else None
        initial = {"enterprise_uscc": facility.enterprise.uscc} if facility else {}
        form = FacilityForm(request.POST, initial=initial, user=request.user, editing=bool(facility))
        if form.is_valid():
            try:
                data = form.service_fields()
                if facility:
                    data.pop("enterprise")
                    facility = facilities.facility_update(request.user, facility, **data)
                else:
                    facility = facilities.facility_create(request.user, **data)
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("The facility was saved."))
                return redirect("risk:facility_detail", pk=facility.pk)
        return self._render(request, form, facility)


class FacilityPreviewView(View):
    """The facility form's htmx preview: what the facility would do to the member's and the group's
    limit use, before saving (nothing is written)."""

    def get(self, request):
        ensure_can_set_limits_and_ratings(request.user)
        ctx = {"preview": None, "problem": ""}
        code = (request.GET.get("enterprise_uscc") or "").strip()
        try:
            limit = forms.DecimalField(max_digits=20, decimal_places=2, min_value=0).clean(request.GET.get("limit_amount"))
            enterprise = facilities.full_record_enterprise(request.user, code)
            currency = (request.GET.get("currency") or "CNY").strip().upper()[:3]
            ctx["preview"] = exposure.preview_facility(request.user, None, enterprise, limit, currency)
        except ValidationError as exc:
            ctx["problem"] = " ".join(exc.messages)
        return render(request, "risk/_facility_preview.html", ctx)


class FacilityCloseView(View):
    def post(self, request, pk):
        facility = _facility(request.user, pk)
        try:
            facilities.facility_close(request.user, facility)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The facility was closed."))
        return redirect("risk:facility_detail", pk=facility.pk)


# --- pledges ---------------------------------------------------------------------------------------------


class PledgeForm(UserFormMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=PledgeKind.choices)
    invoice_no = forms.CharField(label=gettext_lazy("Invoice number"), max_length=60, required=False)
    debtor_uscc = forms.CharField(label=gettext_lazy("Debtor credit code"), max_length=40, required=False)
    lot_ref = forms.CharField(label=gettext_lazy("Lot reference"), max_length=60, required=False)
    amount = forms.DecimalField(label=gettext_lazy("Amount"), max_digits=20, decimal_places=2, min_value=0)
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, initial="CNY")
    confirmed_on = forms.DateField(label=gettext_lazy("Confirmed by the core on"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    confirmation_ref = forms.CharField(label=gettext_lazy("Confirmation reference"), max_length=60, required=False)
    field_map = {"debtor": "debtor_uscc"}


class PledgeCreateView(View):
    def dispatch(self, request, *args, **kwargs):
        ensure_can_set_limits_and_ratings(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        facility = _facility(request.user, pk)
        return render(request, "risk/pledge_form.html", {"form": PledgeForm(user=request.user), "facility": facility})

    def post(self, request, pk):
        facility = _facility(request.user, pk)
        form = PledgeForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                pledges.pledge_record(request.user, facility, **form.cleaned_data)
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("The pledge was recorded."))
                return redirect("risk:facility_detail", pk=facility.pk)
        return render(request, "risk/pledge_form.html", {"form": form, "facility": facility})


class PledgeReleaseView(View):
    def post(self, request, pk):
        pledge = get_object_or_404(Pledge.objects.for_user(request.user), pk=pk)
        try:
            pledges.pledge_release(request.user, pledge)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("risk:facility_detail", pk=pledge.facility_id)


# --- a group's limits --------------------------------------------------------------------------------------


class SubLimitForm(UserFormMixin, forms.Form):
    enterprise = forms.ChoiceField(label=gettext_lazy("Member"))
    amount = AmountField(label=gettext_lazy("Sub-limit"), max_digits=20, decimal_places=2, min_value=0)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].choices = [(m.obj.uscc, m.label) for m in members]


class GroupLimitsView(View):
    """`/risk/groups/<pk>/limits/`: the limit tree (group -> members with sub-limits -> facilities) with
    limit, used, headroom and use % at each level; risk officers and head office set sub-limits here."""

    def _group(self, request, pk):
        return get_object_or_404(groups_in_reach(request.user).select_related("core_enterprise"), pk=pk)

    def _render(self, request, group, form=None, status=200):
        limits = exposure.group_limit_tree(group)
        can_set = _can_set(request.user)
        if can_set and form is None:
            form = SubLimitForm(user=request.user, members=limits.members)
        return render(request, "risk/group_limits.html", {
            "group": group, "limits": limits, "form": form if can_set else None, "can_set": can_set,
            "limits_section": {"limits": limits, "can_set": can_set, "show_link": False},
            "sub_limits": [n for n in limits.members if n.sub_limit is not None]}, status=status)

    def get(self, request, pk):
        return self._render(request, self._group(request, pk))

    def post(self, request, pk):
        ensure_can_set_limits_and_ratings(request.user)
        group = self._group(request, pk)
        members = exposure.group_limit_tree(group).members
        form = SubLimitForm(request.POST, user=request.user, members=members)
        if form.is_valid():
            try:
                facilities.sub_limit_set(request.user, group, form.cleaned_data["enterprise"], form.cleaned_data["amount"])
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("The sub-limit was saved."))
                return redirect("risk:group_limits", pk=group.pk)
        return self._render(request, group, form)


class SubLimitRemoveView(View):
    def post(self, request, pk):
        ensure_can_set_limits_and_ratings(request.user)
        sub = get_object_or_404(SubLimit.objects.for_user(request.user), pk=pk)
        facilities.sub_limit_remove(request.user, sub)
        messages.success(request, _("The sub-limit was removed."))
        return redirect("risk:group_limits", pk=sub.group_id)


# --- other banks' financing ----------------------------------------------------------------------------------


class OtherBankForm(UserFormMixin, forms.Form):
    enterprise_uscc = forms.CharField(label=gettext_lazy("Enterprise credit code"), max_length=40)
    lender = forms.CharField(label=gettext_lazy("Lender"), max_length=100)
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=60, required=False)
    amount = forms.DecimalField(label=gettext_lazy("Amount"), max_digits=20, decimal_places=2, min_value=0)
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, initial="CNY")
    as_of = forms.DateField(label=gettext_lazy("As of"), widget=forms.DateInput(attrs={"type": "date"}))
    maturity = forms.DateField(label=gettext_lazy("Maturity"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))
    field_map = {"enterprise": "enterprise_uscc"}


class OtherBankListView(View):
    def get(self, request):
        qs = OtherBankFinancing.objects.for_user(request.user).select_related("enterprise").order_by(
            "enterprise__name", "lender", "-as_of", "pk")
        group = request.GET.get("group", "")
        if group.isdigit() and len(group) < 19:
            qs = qs.filter(enterprise__in=GroupMembership.objects.filter(group_id=int(group)).values("enterprise_id"))
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        lenders = list(qs.order_by().values("lender", "currency").annotate(n=Count("pk"))
                       .order_by("lender", "currency")[:50])
        return render(request, "risk/other_bank_list.html", {
            "page": page, "lenders": lenders, "can_record": _can_record_other_banks(request.user),
            "groups": list(groups_in_reach(request.user).order_by("name").values_list("pk", "name")[:500]),
            "group": group})


class OtherBankFormView(View):
    def dispatch(self, request, *args, **kwargs):
        if not _can_record_other_banks(request.user):
            raise PermissionDenied(_("Your role may not record other banks' financing."))
        return super().dispatch(request, *args, **kwargs)

    def _row(self, request, pk):
        return get_object_or_404(OtherBankFinancing.objects.for_user(request.user).select_related("enterprise"), pk=pk)

    def get(self, request, pk=None):
        row = self._row(request, pk) if pk else None
        initial = {}
        if row:
            initial = {n: getattr(row, n) for n in ("lender", "reference", "amount", "currency", "as_of", "maturity")}
            initial["enterprise_uscc"] = row.enterprise.uscc
        form = OtherBankForm(initial=initial, user=request.user)
        if row:
            form.fields["enterprise_uscc"].disabled = True
        return render(request, "risk/other_bank_form.html", {"form": form, "row": row})

    def post(self, request, pk=None):
        row = self._row(request, pk) if pk else None
        form = OtherBankForm(request.POST, initial={"enterprise_uscc": row.enterprise.uscc} if row else {},
                             user=request.user)
        if row:
            form.fields["enterprise_uscc"].disabled = True
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["enterprise"] = data.pop("enterprise_uscc")
            try:
                if row:
                    data.pop("enterprise")
                    facilities.other_bank_financing_update(request.user, row, **data)
                else:
                    facilities.other_bank_financing_record(request.user, **data)
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("The financing was saved."))
                return redirect("risk:other_banks")
        return render(request, "risk/other_bank_form.html", {"form": form, "row": row})


class OtherBankDeleteView(View):
    def post(self, request, pk):
        row = get_object_or_404(OtherBankFinancing.objects.for_user(request.user), pk=pk)
        facilities.other_bank_financing_delete(request.user, row)
        messages.success(request, _("The financing was deleted."))
        return redirect("risk:other_banks")


# --- concentration limits and related parties -------------------------------------------------------------


class RiskSettingsForm(forms.ModelForm):
    net_capital = AmountField(label=gettext_lazy("net capital (CNY)"), max_digits=20, decimal_places=2, min_value=0)
    tier1_capital = AmountField(label=gettext_lazy("tier-1 capital (CNY)"), max_digits=20, decimal_places=2,
                                min_value=0)

    class Meta:
        model = RiskSettings
        fields = ["net_capital", "tier1_capital", "client_pct", "group_pct", "connected_group_pct",
                  "large_exposure_pct", "related_client_pct", "related_group_pct", "related_total_pct", "warning_pct"]


class RiskSettingsView(View):
    """The bank's capital and concentration limits: head office edits, everyone else reads."""

    def _render(self, request, form):
        return render(request, "risk/concentration.html", {
            "form": form, "conf": RiskSettings.current(), "editable": is_head_office(request.user),
            "history": change_history(instance=RiskSettings.current())})

    def get(self, request):
        return self._render(request, RiskSettingsForm(instance=RiskSettings.current()))

    def post(self, request):
        if not is_head_office(request.user):
            raise PermissionDenied(_("Only head office sets the concentration limits."))
        form = RiskSettingsForm(request.POST, instance=RiskSettings.current())
        if form.is_valid():
            try:
                facilities.risk_settings_update(request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("The concentration limits were saved."))
                return redirect("risk:concentration")
        return self._render(request, form)


class RelatedPartyForm(UserFormMixin, forms.Form):
    enterprise_uscc = forms.CharField(label=gettext_lazy("Enterprise credit code"), max_length=40)
    since = forms.DateField(label=gettext_lazy("Since"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)
    field_map = {"enterprise": "enterprise_uscc"}


class RelatedPartyView(View):
    """The bank's related parties (关联方): head office keeps the list; others read the ones in their
    full record."""

    def _render(self, request, form=None):
        rows = (RelatedParty.objects.filter(enterprise__in=_full(request.user)).select_related("enterprise")
                .order_by("enterprise__name"))
        editable = is_head_office(request.user)
        return render(request, "risk/related_parties.html", {
            "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")), "editable": editable,
            "form": (form or RelatedPartyForm(user=request.user)) if editable else None})

    def get(self, request):
        return self._render(request)

    def post(self, request):
        if not is_head_office(request.user):
            raise PermissionDenied(_("Only head office keeps the list of related parties."))
        if "remove" in request.POST:
            raw = str(request.POST["remove"])
            row = RelatedParty.objects.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 19 else None
            if row is None:
                raise Http404
            facilities.related_party_remove(request.user, row)
            return redirect("risk:related_parties")
        form = RelatedPartyForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                facilities.related_party_set(request.user, form.cleaned_data["enterprise_uscc"],
                                             form.cleaned_data["since"], form.cleaned_data["note"])
            except ValidationError as exc:
                apply_to_form(form, exc)
            else:
                return redirect("risk:related_parties")
        return self._render(request, form)


def _full(user):
    from clients.access import full_enterprises

    return full_enterprises(user).values("pk")


# --- sections of the clients' pages ------------------------------------------------------------------------


def enterprise_facilities_section(user, enterprise) -> dict:
    """The enterprise page's facilities and other banks' financing (its full record: the page checked)."""
    return {
        "facilities": list(Facility.objects.filter(enterprise=enterprise).select_related("product")
                           .order_by("status", "reference")[:50]),
        "other_banks": list(OtherBankFinancing.objects.filter(enterprise=enterprise).order_by("lender", "-as_of")[:50]),
        "can_set": _can_set(user),
        "new_url": reverse("risk:facility_create") + f"?enterprise={enterprise.uscc}",
        "fragment": False,
    }


"""Admin of the risk side, for head office (core.admin_tools).

Facilities, sub-limits, pledges, other banks' financing, related parties and the concentration limits
(helper alpha) write through risk.facilities and risk.pledges: the same checks as the pages and the
API (the allocation rule, pledge conflicts, history)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin_tools import HeadOfficeOnlyMixin, ServiceAdminMixin
from risk import facilities, pledges
from risk.models import Facility, OtherBankFinancing, Pledge, RelatedParty, RiskSettings, SubLimit

# --- facilities, limits, pledges (alpha) -------------------------------------------------------------------


@admin.register(Facility)
class FacilityAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ["reference", "enterprise", "product", "limit_amount", "drawn", "currency", "end_date", "status"]
    list_filter = ["status", "currency", "product"]
    search_fields = ["=reference", "=enterprise__uscc", "enterprise__name"]
    list_select_related = ["enterprise", "product"]
    raw_id_fields = ["enterprise", "guarantees"]
    readonly_fields = ["status", "recorded_by", "created_at", "updated_at"]
    readonly_on_change = ("enterprise",)

    def service_create(self, request, form):
        return facilities.facility_create(request.user, **{k: v for k, v in form.cleaned_data.items()
                                                           if k in facilities.FACILITY_FIELDS})

    def service_update(self, request, form, obj):
        data = {k: form.cleaned_data[k] for k in form.changed_data if k in facilities.FACILITY_EDITABLE}
        return facilities.facility_update(request.user, obj, **data)

    def service_delete(self, request, obj):
        facilities.facility_close(request.user, obj)


@admin.register(SubLimit)
class SubLimitAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ["group", "enterprise", "amount", "set_by", "updated_at"]
    search_fields = ["group__name", "=enterprise__uscc", "enterprise__name"]
    list_select_related = ["group", "enterprise", "set_by"]
    raw_id_fields = ["group", "enterprise"]
    readonly_fields = ["set_by", "updated_at"]
    readonly_on_change = ("group", "enterprise")

    def service_create(self, request, form):
        data = form.cleaned_data
        return facilities.sub_limit_set(request.user, data["group"], data["enterprise"], data["amount"])

    def service_update(self, request, form, obj):
        return facilities.sub_limit_set(request.user, obj.group_id, obj.enterprise, form.cleaned_data["amount"])

    def service_delete(self, request, obj):
        facilities.sub_limit_remove(request.user, obj)


@admin.register(Pledge)
class PledgeAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    """Pledged once, released once: no other change (a correction is a release and a new pledge)."""

    list_display = ["facility", "kind", "invoice_no", "debtor", "lot_ref", "amount", "currency", "released_at"]
    list_filter = ["kind"]
    search_fields = ["=invoice_no", "=lot_ref", "=facility__reference"]
    list_select_related = ["facility", "debtor"]
    raw_id_fields = ["facility", "debtor"]
    readonly_fields = ["released_at", "recorded_by", "created_at"]

    def service_create(self, request, form):
        data = dict(form.cleaned_data)
        data.pop("released_at", None)
        data["debtor_uscc"] = data.pop("debtor", None)
        return pledges.pledge_record(request.user, **data)

    def service_delete(self, request, obj):
        pledges.pledge_release(request.user, obj)


@admin.register(OtherBankFinancing)
class OtherBankFinancingAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ["enterprise", "lender", "reference", "amount", "currency", "as_of", "maturity"]
    search_fields = ["=enterprise__uscc", "enterprise__name", "lender"]
    list_select_related = ["enterprise"]
    raw_id_fields = ["enterprise"]
    readonly_fields = ["recorded_by", "created_at"]
    readonly_on_change = ("enterprise",)

    def service_create(self, request, form):
        return facilities.other_bank_financing_record(request.user, **{
            k: v for k, v in form.cleaned_data.items() if k in facilities.OTHER_BANK_FIELDS})

    def service_update(self, request, form, obj):
        return facilities.other_bank_financing_update(request.user, obj, **{
            k: form.cleaned_data[k] for k in form.changed_data if k in facilities.OTHER_BANK_FIELDS - {"enterprise"}})

    def service_delete(self, request, obj):
        facilities.other_bank_financing_delete(request.user, obj)


@admin.register(RelatedParty)
class RelatedPartyAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ["enterprise", "since", "note"]
    search_fields = ["=enterprise__uscc", "enterprise__name"]
    list_select_related = ["enterprise"]
    raw_id_fields = ["enterprise"]
    readonly_on_change = ("enterprise",)

    def service_create(self, request, form):
        data = form.cleaned_data
        return facilities.related_party_set(request.user, data["enterprise"], data["since"], data.get("note", ""))

    def service_update(self, request, form, obj):
        data = form.cleaned_data
        return facilities.related_party_set(request.user, obj.enterprise, data["since"], data.get("note", ""))

    def service_delete(self, request, obj):
        facilities.related_party_remove(request.user, obj)


@admin.register(RiskSettings)
class RiskSettingsAdmin(HeadOfficeOnlyMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    """The one row: changed, never added or deleted here."""

    list_display = ["__str__", "net_capital", "tier1_capital", "group_pct", "client_pct", "warning_pct", "updated_at"]

    def service_update(self, request, form, obj):
        return facilities.risk_settings_update(request.user, **{
            k: form.cleaned_data[k] for k in form.changed_data if k in facilities.SETTINGS_FIELDS})

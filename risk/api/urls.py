from rest_framework.routers import DefaultRouter

router = DefaultRouter()
# --- alerts and alert rules (risk.api.alerts; helper delta) ---
from risk.api.alerts import AlertRuleViewSet, AlertViewSet  # noqa: E402

router.register("alerts", AlertViewSet, basename="alert")
router.register("alert-rules", AlertRuleViewSet, basename="alert-rule")
# --- end alerts ---

# --- facilities, exposures, sub-limits, pledges, other banks, concentration limits (risk.api.facilities; alpha) ---
from risk.api.facilities import (  # noqa: E402
    ExposureViewSet,
    FacilityViewSet,
    OtherBankFinancingViewSet,
    PledgeViewSet,
    RiskSettingsViewSet,
    SubLimitViewSet,
)

router.register("facilities", FacilityViewSet, basename="facility")
router.register("exposures", ExposureViewSet, basename="exposure")
router.register("sub-limits", SubLimitViewSet, basename="sub-limit")
router.register("pledges", PledgeViewSet, basename="pledge")
router.register("other-bank-financing", OtherBankFinancingViewSet, basename="other-bank-financing")
router.register("risk-settings", RiskSettingsViewSet, basename="risk-settings")
# --- end facilities ---

# --- group-membership proposals (risk.api.proposals; helper charlie) ---
from risk.api.proposals import GroupProposalViewSet  # noqa: E402

router.register("group-proposals", GroupProposalViewSet, basename="group-proposal")
# --- end proposals ---

urlpatterns = router.urls

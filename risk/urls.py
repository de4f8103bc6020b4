app_name = "risk"
urlpatterns: list = []

# Helper delta: the alert queue, an alert and its actions, the early-warning rules.
from django.urls import path  # noqa: E402

from risk import views_alerts  # noqa: E402

urlpatterns += [
    path("alerts/", views_alerts.AlertQueueView.as_view(), name="alerts"),
    path("alerts/<int:pk>/", views_alerts.AlertDetailView.as_view(), name="alert_detail"),
    path("alerts/<int:pk>/<slug:action>/", views_alerts.AlertActionView.as_view(), name="alert_action"),
    path("rules/", views_alerts.AlertRulesView.as_view(), name="rules"),
]

# Helper bravo: the group page's risk refresh.
from risk import views_jobs  # noqa: E402

urlpatterns += [
    path("groups/<int:pk>/refresh-risk/", views_jobs.GroupRefreshRiskView.as_view(), name="group_refresh_risk"),
]

# Helper alpha: facilities, pledges, a group's limits, other banks' financing, concentration limits, related parties.
from risk import views_facilities as vf  # noqa: E402

urlpatterns += [
    path("facilities/", vf.FacilityListView.as_view(), name="facilities"),
    path("facilities/new/", vf.FacilityFormView.as_view(), name="facility_create"),
    path("facilities/preview/", vf.FacilityPreviewView.as_view(), name="facility_preview"),
    path("facilities/<int:pk>/", vf.FacilityDetailView.as_view(), name="facility_detail"),
    path("facilities/<int:pk>/edit/", vf.FacilityFormView.as_view(), name="facility_edit"),
    path("facilities/<int:pk>/close/", vf.FacilityCloseView.as_view(), name="facility_close"),
    path("facilities/<int:pk>/pledges/new/", vf.PledgeCreateView.as_view(), name="pledge_create"),
    path("pledges/<int:pk>/release/", vf.PledgeReleaseView.as_view(), name="pledge_release"),
    path("groups/<int:pk>/limits/", vf.GroupLimitsView.as_view(), name="group_limits"),
    path("sub-limits/<int:pk>/remove/", vf.SubLimitRemoveView.as_view(), name="sub_limit_remove"),
    path("other-banks/", vf.OtherBankListView.as_view(), name="other_banks"),
    path("other-banks/new/", vf.OtherBankFormView.as_view(), name="other_bank_create"),
    path("other-banks/<int:pk>/edit/", vf.OtherBankFormView.as_view(), name="other_bank_edit"),
    path("other-banks/<int:pk>/delete/", vf.OtherBankDeleteView.as_view(), name="other_bank_delete"),
    path("concentration/", vf.RiskSettingsView.as_view(), name="concentration"),
    path("related-parties/", vf.RelatedPartyView.as_view(), name="related_parties"),
]

# Helper charlie: group identification (proposals, their decisions, the non-fair thresholds).
from risk import views_proposals  # noqa: E402

urlpatterns += [
    path("proposals/", views_proposals.ProposalListView.as_view(), name="proposals"),
    path("proposals/thresholds/", views_proposals.ThresholdsView.as_view(), name="proposal_thresholds"),
    path("proposals/<int:pk>/<slug:action>/", views_proposals.ProposalActionView.as_view(), name="proposal_action"),
]

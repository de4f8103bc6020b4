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

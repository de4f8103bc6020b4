from django.urls import path

from services import views_advice

app_name = "services"
urlpatterns: list = []

# Engineer D: the workbench's needs list, head office's advice and contribution settings.
urlpatterns += [
    path("workbench/needs/", views_advice.WorkbenchNeedsView.as_view(), name="workbench_needs"),
    path("settings/allocation/", views_advice.AllocationSettingsView.as_view(), name="settings_allocation"),
    path("settings/contribution/", views_advice.ContributionSettingsView.as_view(), name="settings_contribution"),
]

# Engineer A: the product catalogue.
from services import views_catalogue  # noqa: E402

urlpatterns += [
    path("products/", views_catalogue.CatalogueView.as_view(), name="catalogue"),
]

# Engineer C: the needs list and its inline status changes, a need by hand, the rules' settings, and
# the group page's refresh button.
from services import views_needs  # noqa: E402

urlpatterns += [
    path("needs/", views_needs.NeedListView.as_view(), name="needs"),
    path("needs/new/", views_needs.NeedCreateView.as_view(), name="need_create"),
    path("needs/<int:pk>/status/", views_needs.NeedStatusView.as_view(), name="need_status"),
    path("rules/", views_needs.RuleSettingsView.as_view(), name="rules"),
    path("groups/<int:pk>/refresh-needs/", views_needs.GroupRefreshNeedsView.as_view(), name="group_refresh_needs"),
]

from django.urls import path

from clients import views

app_name = "clients"

urlpatterns = [
    path("groups/", views.GroupListView.as_view(), name="group_list"),
    path("groups/new/", views.GroupCreateView.as_view(), name="group_create"),
    path("groups/<int:pk>/", views.GroupDetailView.as_view(), name="group_detail"),
    path("groups/<int:pk>/edit/", views.GroupEditView.as_view(), name="group_edit"),
    path("groups/<int:pk>/limit/", views.GroupLimitView.as_view(), name="group_limit"),
    path("groups/<int:pk>/transfer/", views.GroupTransferView.as_view(), name="group_transfer"),
    path("enterprises/", views.EnterpriseListView.as_view(), name="enterprise_list"),
    path("enterprises/new/", views.EnterpriseCreateView.as_view(), name="enterprise_create"),
    path("enterprises/<int:pk>/", views.EnterpriseDetailView.as_view(), name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", views.EnterpriseEditView.as_view(), name="enterprise_edit"),
    path("enterprises/<int:pk>/rating/", views.EnterpriseRatingView.as_view(), name="enterprise_rating"),
    path("enterprises/<int:pk>/transfer/", views.EnterpriseTransferView.as_view(), name="enterprise_transfer"),
    path("enterprises/<int:pk>/links/new/", views.ControlLinkCreateView.as_view(), name="control_link_create"),
    path("enterprises/<int:pk>/links/<int:link_pk>/edit/", views.ControlLinkEditView.as_view(),
         name="control_link_edit"),
    path("enterprises/<int:pk>/links/<int:link_pk>/delete/", views.ControlLinkDeleteView.as_view(),
         name="control_link_delete"),
    path("enterprises/<int:pk>/interactions/new/", views.InteractionCreateView.as_view(),
         name="interaction_create"),
    path("enterprises/<int:pk>/financials/new/", views.FinancialStatementCreateView.as_view(),
         name="financial_statement_create"),
    path("lookup/", views.RegistryLookupView.as_view(), name="registry_lookup"),
    path("lookup/claim/", views.EnterpriseClaimView.as_view(), name="enterprise_claim"),
    path("requests/", views.ChangeRequestListView.as_view(), name="request_list"),
    path("requests/<int:pk>/", views.ChangeRequestDetailView.as_view(), name="request_detail"),
    path("requests/<int:pk>/<str:decision>/", views.ChangeRequestDecisionView.as_view(), name="request_decide"),
]

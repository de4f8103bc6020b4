from django.urls import path

from chains import views

app_name = "chains"

urlpatterns: list = [
    path("groups/<int:group_pk>/", views.GroupChainView.as_view(), name="group_chain"),
    path("groups/<int:group_pk>/links/", views.ChainLinkDeclareView.as_view(), name="link_declare"),
    path("groups/<int:group_pk>/detect/", views.ChainDetectView.as_view(), name="group_detect"),
    path("groups/<int:group_pk>/detected/", views.DetectedQueueView.as_view(), name="detected_queue"),
    path("groups/<int:group_pk>/detected/bulk/", views.DetectedBulkView.as_view(), name="detected_bulk"),
    path("detection-settings/", views.DetectionSettingsView.as_view(), name="detection_settings"),
    path("links/<int:pk>/confirm/", views.ChainLinkConfirmView.as_view(), name="link_confirm"),
    path("links/<int:pk>/dismiss/", views.ChainLinkDismissView.as_view(), name="link_dismiss"),
]

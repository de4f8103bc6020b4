# Upload pages for imports. Included by chains/urls.py (app_name "chains"): chains:import_upload.
from django.urls import path

from chains.imports import views

urlpatterns: list = [
    path("imports/", views.ImportView.as_view(), name="import_upload"),
    path("imports/confirm/", views.ImportConfirmView.as_view(), name="import_confirm"),
]

from django.urls import path

from imports import views

app_name = "imports"

urlpatterns: list = [
    path("", views.ImportView.as_view(), name="upload"),
    path("confirm/", views.ImportConfirmView.as_view(), name="confirm"),
    path("runs/<int:pk>/", views.ImportRunView.as_view(), name="run"),
    path("template/", views.ImportTemplateView.as_view(), name="template"),
]

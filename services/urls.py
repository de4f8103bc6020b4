from django.urls import path

app_name = "services"
urlpatterns: list = []

# Engineer A: the product catalogue.
from services import views_catalogue  # noqa: E402

urlpatterns += [
    path("products/", views_catalogue.CatalogueView.as_view(), name="catalogue"),
]

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

# --- catalogue, holdings and exchange rates (services.api.catalogue) ---
from services.api.catalogue import (  # noqa: E402
    FxRateViewSet,
    HoldingViewSet,
    PartnerViewSet,
    ProductViewSet,
)

router.register("products", ProductViewSet, basename="product")
router.register("partners", PartnerViewSet, basename="partner")
router.register("holdings", HoldingViewSet, basename="holding")
router.register("fx-rates", FxRateViewSet, basename="fx-rate")
# --- end catalogue ---

urlpatterns = router.urls

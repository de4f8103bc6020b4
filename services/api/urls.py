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

# --- needs and job runs (services.api.needs) ---
from services.api.needs import JobRunViewSet, NeedViewSet  # noqa: E402

router.register("needs", NeedViewSet, basename="need")
router.register("job-runs", JobRunViewSet, basename="job-run")
# --- end needs ---

urlpatterns = router.urls

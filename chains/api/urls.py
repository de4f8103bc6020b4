from rest_framework.routers import DefaultRouter

from chains.api.links import ChainLinkViewSet

router = DefaultRouter()
router.register("chain-links", ChainLinkViewSet, basename="chain-link")
urlpatterns = router.urls

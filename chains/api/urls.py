from rest_framework.routers import DefaultRouter

from chains.api.flows import FlowViewSet
from chains.api.links import ChainLinkViewSet

router = DefaultRouter()
router.register("chain-links", ChainLinkViewSet, basename="chain-link")
router.register("flows", FlowViewSet, basename="flow")
urlpatterns = router.urls

"""Routes of the clients API under /api/v1/ (see config/urls.py)."""

from rest_framework.routers import DefaultRouter

from clients.api import views

router = DefaultRouter()
router.register("enterprises", views.EnterpriseViewSet, basename="enterprise")
router.register("group-clients", views.GroupClientViewSet, basename="group-client")
router.register("control-links", views.ControlLinkViewSet, basename="control-link")
router.register("financial-statements", views.FinancialStatementViewSet, basename="financial-statement")
router.register("accounts", views.BankAccountViewSet, basename="account")
router.register("persons", views.PersonViewSet, basename="person")
router.register("interactions", views.InteractionViewSet, basename="interaction")
router.register("registry", views.RegistryViewSet, basename="registry")
router.register("change-requests", views.ChangeRequestViewSet, basename="change-request")
urlpatterns = router.urls

"""The interactive API documentation (Swagger UI) is head office's: internal systems are set up by head
office; RMs, branch heads and risk officers work in the pages. Other roles get the 403 page (the
menu shows the link to head office only: core.menu). The schema itself (/api/schema/) is the API's."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView

from core.error_pages import forbidden
from core.permissions import is_head_office


class ApiDocsView(SpectacularSwaggerSplitView):
    @extend_schema(exclude=True)  # the docs page is not an API operation (as in the parent class)
    def get(self, request, *args, **kwargs):
        if not is_head_office(request.user):
            return forbidden(request._request, _("The API documentation is for head office."))
        return super().get(request, *args, **kwargs)

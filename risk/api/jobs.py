"""The API's refresh-risk action (issue 10 part 7): `POST /api/v1/group-clients/{id}/refresh-risk/`
queues the group's early-warning refresh (risk.tasks) and answers 202 with the job run's id; the
action itself lives on the group-clients viewset (clients.api.views), beside refresh-needs."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from clients.models import GroupClient
from core.api.base import ErrorSerializer
from services.api.needs import RefreshQueuedSerializer

REFRESH_RISK_SCHEMA = extend_schema(
    summary="Refresh the group's risk alerts now (queued; 202 with the run)",
    description="Runs the early-warning rules (and the group identification) over the group's core, members and "
                "circle. Any role with the group in reach may ask (it writes no client data). The run is a "
                "job-runs record about the group (job `refresh_risk`); with eager tasks it has finished when the "
                "answer comes.",
    request=None,
    responses={202: RefreshQueuedSerializer, 404: OpenApiResponse(ErrorSerializer, description=_("No such group."))},
)


def refresh_risk(group: GroupClient, request) -> Response:
    from risk.tasks import queue_group_refresh

    run = queue_group_refresh(group, user=request.user)
    return Response({"job_run": run.pk, "status": run.status}, status=status.HTTP_202_ACCEPTED)

"""Log records carry the request id (django-guid's correlation id, also the `X-Request-ID` response
header), so every line a request causes can be found together; "-" outside a request."""

from django_guid.log_filters import CorrelationId


class RequestIdFilter(CorrelationId):
    def __init__(self) -> None:
        super().__init__(correlation_id_field="request_id")

    def filter(self, record) -> bool:
        super().filter(record)
        if not record.request_id:
            record.request_id = "-"
        return True

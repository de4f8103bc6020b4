"""The audit log: who did what security-relevant thing, when, from where (issue 7).

`audit.record(event, user=..., detail=...)` writes one row in the current transaction, so an event is
kept exactly when what it records is kept. The client address and user agent come from the request
being served (`request=`, else the one `audit.middleware.AuditRequestMiddleware` remembers).
"""


def record(event, *, user=None, username=None, request=None, detail=None):
    """Write one audit event (see `audit.services.record`)."""
    from audit.services import record as _record

    return _record(event, user=user, username=username, request=request, detail=detail)

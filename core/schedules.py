"""Default Celery beat schedules. They are created once (by name) after migrate and then belong to
the admin: an operator's change to a schedule is never overwritten.

A schedule is a crontab (minute, hour) or an interval in seconds. The outbox's dispatch runs here as a
backstop only: beat sends it through the broker, so while the broker is down it cannot run; the
`outbox_dispatch --loop` process (compose service `outbox`) is what retries then."""

DEFAULT_SCHEDULES = [
    # name, task, crontab (minute, hour) or interval in seconds
    ("Refresh group membership (nightly)", "clients.tasks.refresh_group_memberships", ("0", "2")),
    ("Detect undeclared chain links (nightly)", "chains.tasks.detect_all_chain_links", ("30", "3")),
    ("Dispatch the outbox (backstop)", "core.tasks.dispatch_outbox", 10),
    ("Mark the runs of dead workers failed", "core.tasks.reap_runs", 60),
    ("Prune sent outbox messages", "core.tasks.prune_outbox", ("15", "4")),
    ("Delete unconfirmed import uploads", "imports.tasks.delete_stale_uploads", ("45", "*")),
    # needs engine (services.tasks): needs, then profiles and contribution, every night
    ("Refresh needs and profiles (nightly)", "services.tasks.refresh_needs_all", ("0", "1")),
    # early-warning engine (risk.tasks): alerts, then group identification, after the membership refresh
    ("Refresh risk alerts (nightly)", "risk.tasks.refresh_risk_all", ("0", "3")),
]


def ensure_default_schedules(**kwargs):
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    for name, task, when in DEFAULT_SCHEDULES:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        if isinstance(when, int):
            interval, _ = IntervalSchedule.objects.get_or_create(every=when, period=IntervalSchedule.SECONDS)
            PeriodicTask.objects.create(name=name, task=task, interval=interval)
            continue
        minute, hour = when
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*",
            timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.create(name=name, task=task, crontab=crontab)

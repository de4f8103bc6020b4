"""Default Celery beat schedules. They are created once (by name) after migrate and then belong to
the admin: an operator's change to a schedule is never overwritten."""

DEFAULT_SCHEDULES = [
    # name, task, crontab (minute, hour)
    ("Refresh group membership (nightly)", "clients.tasks.refresh_group_memberships", ("0", "2")),
    ("Detect undeclared chain links (nightly)", "chains.tasks.detect_all_chain_links", ("30", "3")),
]


def ensure_default_schedules(**kwargs):
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    for name, task, (minute, hour) in DEFAULT_SCHEDULES:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*",
            timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.create(name=name, task=task, crontab=crontab)

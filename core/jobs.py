"""Recording job runs: `with record_run("name") as counts: counts["rows"] = n`."""

from contextlib import contextmanager

from django.utils import timezone

from core.models import JobRun, JobStatus


@contextmanager
def record_run(job: str):
    """Record a run of `job`: the row is written before the work (so a crash leaves a 'running'
    row behind, visible to operators) and closed with the status and the counts the job filled in."""
    run = JobRun.objects.create(job=job)
    counts: dict = {}
    try:
        yield counts
    except Exception as exc:
        JobRun.objects.filter(pk=run.pk).update(
            status=JobStatus.FAILED, finished_at=timezone.now(), counts=counts, error=repr(exc)[:2000]
        )
        raise
    JobRun.objects.filter(pk=run.pk).update(status=JobStatus.SUCCESS, finished_at=timezone.now(), counts=counts)


def last_run(job: str) -> JobRun | None:
    return JobRun.objects.filter(job=job, status=JobStatus.SUCCESS).order_by("-started_at").first()

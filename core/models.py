"""Shared operational records: every background job run is kept (DESIGN.md section 3)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCESS = "success", _("Succeeded")
    FAILED = "failed", _("Failed")


class JobRun(models.Model):
    """One run of a background job: when it started and ended, how it ended, what it counted.

    A run may concern one object, its subject (a generic foreign key: link detection runs once per
    group client, with the group as subject); jobs over many objects have none. Written by
    `core.jobs.record_run` before the work starts, so a crashed run stays visible as 'running'."""

    job = models.CharField(_("job"), max_length=100, db_index=True)
    subject_type = models.ForeignKey(
        ContentType, verbose_name=_("subject type"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="+",
    )
    subject_id = models.PositiveBigIntegerField(_("subject id"), null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.RUNNING)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["job", "-started_at"], name="jobrun_latest"),
            models.Index(fields=["job", "subject_type", "subject_id", "-started_at"], name="jobrun_subject_latest"),
            models.Index(fields=["-started_at"], name="jobrun_started"),  # the ops page, unfiltered
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subject_type__isnull=True, subject_id__isnull=True)
                | models.Q(subject_type__isnull=False, subject_id__isnull=False),
                name="jobrun_subject_complete",
                violation_error_message=_("A run's subject needs both its type and its id."),
            ),
        ]

    def __str__(self):
        return f"{self.job} @ {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> timedelta | None:
        """How long the run took; None while it runs (or after a crash left it 'running')."""
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def error_line(self) -> str:
        """The first line of the error (the exception and its message)."""
        return self.error.split("\n", 1)[0]

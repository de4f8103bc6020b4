"""Shared operational records: every background job run is kept (DESIGN.md section 3), and the
follow-up work a write must cause later waits in an outbox until the broker takes it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dates import validate_business_date


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCESS = "success", _("Succeeded")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class JobRun(models.Model):
    """One run of a background job: when it started and ended, how it ended, what it counted.

    A run may concern one object, its subject (a generic foreign key: link detection runs once per
    group client, with the group as subject); jobs over many objects have none. Written by
    `core.jobs.record_run` before the work starts, so a crashed run stays visible as 'running' until
    the reaper (`core.jobs.reap_dead_runs`) finds its heartbeat gone or its deadline passed and marks
    it failed. Imports also say who ran them and on what (`user`, `params`: kind, source system, file
    name), and background imports keep the report the upload page shows (`report`)."""

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
    note = models.TextField(_("note"), blank=True, help_text=_("e.g. a wait for, or a skip because of, another run"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    worker = models.CharField(_("worker"), max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["job", "-started_at"], name="jobrun_latest"),
            models.Index(fields=["job", "subject_type", "subject_id", "-started_at"], name="jobrun_subject_latest"),
            models.Index(fields=["-started_at"], name="jobrun_started"),  # the ops page, unfiltered
            # the reaper's scan: only unfinished runs
            models.Index(fields=["started_at"], name="jobrun_unfinished",
                         condition=models.Q(status__in=["queued", "running"])),
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


class OutboxMessage(models.Model):
    """Follow-up work a write must cause later (a Celery task and its JSON arguments), written in the
    same transaction as the write (`core.outbox.enqueue`). The dispatcher (`core.outbox.dispatch`)
    hands pending messages to the broker and retries with backoff until the broker takes them, so a
    dead broker or a dead web process delays the work but never drops it.

    A non-empty dedup key is unique among pending messages: queuing the same work twice before it is
    sent keeps one message (detection of a group needs to run once after any number of imports)."""

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    dedup_key = models.CharField(_("dedup key"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["created_at", "pk"]
        indexes = [
            # the dispatcher's scan: pending messages that are due
            models.Index(fields=["next_attempt_at"], name="outbox_pending_due", condition=models.Q(sent_at__isnull=True)),
            models.Index(fields=["sent_at"], name="outbox_sent", condition=models.Q(sent_at__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"], name="outbox_pending_dedup",
                condition=models.Q(sent_at__isnull=True) & ~models.Q(dedup_key=""),
                violation_error_message=_("This work is already waiting in the outbox."),
            ),
        ]

    def __str__(self):
        state = "sent" if self.sent_at else "pending"
        return f"{self.task} ({state}, {self.attempts} attempts)"


class FxRate(models.Model):
    """A daily exchange rate: how many yuan one unit of `currency` was worth on `date` (the bank's
    middle rate, or the CFETS central parity). A sum in CNY equivalent converts each amount at the
    rate of its value date, or the latest earlier one (weekends, holidays): see `core.fx`. CNY itself
    has no rows (its rate is 1)."""

    currency = models.CharField(_("currency"), max_length=3)
    date = models.DateField(_("date"), validators=[validate_business_date])
    rate = models.DecimalField(_("rate (CNY per unit)"), max_digits=18, decimal_places=8)
    source = models.CharField(_("source"), max_length=50, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="fxrate_unique_day",
                                    violation_error_message=_("This currency already has a rate for this date.")),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="fxrate_positive",
                                   violation_error_message=_("A rate must be positive.")),
            models.CheckConstraint(condition=~models.Q(currency="CNY"), name="fxrate_not_cny",
                                   violation_error_message=_("CNY needs no rate: it is the base currency.")),
        ]

    def __str__(self):
        return f"{self.currency} {self.date}: {self.rate}"

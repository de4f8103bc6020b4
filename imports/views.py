"""Upload page: step 1 checks the file and shows a preview with every bad row; step 2 imports it.

Between the two steps the file waits in a server-side directory (imports.tasks.upload_dir) under a
random token kept in the user's session; the confirm step runs the whole check again inside the
import transaction.

Small files (up to IMPORT_INLINE_MAX_BYTES, 1 MB by default: a few thousand rows, checked and imported
in a second or two) are handled inside the request: the answer is immediate and no worker is needed.
Larger ones are background jobs (imports.tasks): the request stores the file and queues a run (an
outbox message in the same transaction, never a call to the broker), and the page polls the run's
status fragment (`imports:run`), which shows a progress bar until the run's report is there."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from core.htmx import is_fragment, template_for
from core.models import JobRun, JobStatus
from core.money import chinese
from core.permissions import ClientEditorRequiredMixin
from imports import blanks
from imports.engine import max_upload_bytes
from imports.forms import ImportUploadForm
from imports.preview import kind_columns, preview_context
from imports.registry import kind_choices
from imports.selectors import example_parties
from imports.services import import_file, report_result
from imports.tasks import queue_upload_import, upload_dir

SESSION_KEY = "pending_imports"
POLL_SECONDS = 1


def _temp_dir() -> Path:
    return upload_dir()


def runs_in_background(size: int) -> bool:
    """Whether an upload of `size` bytes is checked and imported as a background job."""
    return size > settings.IMPORT_INLINE_MAX_BYTES


class ImportView(ClientEditorRequiredMixin, View):
    template_name = "imports/upload.html"
    partial_template_name = "imports/partials/result.html"

    def render(self, request, context, status=200):
        """Row errors are content, not an HTTP failure: the answer is 200 so htmx swaps it in."""
        template = template_for(request, self.template_name, self.partial_template_name)
        context.setdefault("form", ImportUploadForm(user=request.user))
        context["kinds"] = dict(kind_choices())
        context["max_mb"] = max_upload_bytes() / 1e6
        context["kind_label"] = context["kinds"].get(context.get("kind"), "")
        if not is_fragment(request):
            context["kind_columns"] = kind_columns(request.user)
        result = context.get("result")
        if result is not None:
            context["result_errors"] = result.errors.sorted()
            if context.get("kind"):
                context.update(preview_context(request.user, context["kind"], result))
        return render(request, template, context, status=status)

    def get(self, request):
        return self.render(request, {})

    def post(self, request):
        form = ImportUploadForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            # htmx swaps only 2xx answers into the page: its fragment lists the form's errors with 200.
            fragment = is_fragment(request)
            return self.render(request, {"form": form, "form_errors": fragment}, status=200 if fragment else 400)
        upload = form.cleaned_data["file"]
        kind = form.cleaned_data["kind"]
        source = form.source_code  # chosen from the list head office keeps, never the file name
        context = {"form": form, "kind": kind, "filename": upload.name, "source": source}
        token = secrets.token_urlsafe(16)
        path = _temp_dir() / f"{token}{Path(upload.name).suffix.lower()}"
        pending = {"path": str(path), "kind": kind, "source": source, "filename": upload.name}
        if runs_in_background(upload.size):
            self._store(upload, path)
            run = queue_upload_import(user=request.user, kind=kind, path=str(path), file_name=upload.name,
                                      source_system=source, commit=False)
            self._remember(request, token, {**pending, "preview_run": run.pk})
            return self.render(request, {**context, **run_context(run)})
        result = import_file(user=request.user, kind=kind, fh=upload, filename=upload.name, commit=False,
                             source_system=source, max_bytes=max_upload_bytes())
        context["result"] = result
        if result.ok and result.created:  # nothing new: no import step (the page says so)
            self._store(upload, path)
            self._remember(request, token, pending)
            context["token"] = token
        return self.render(request, context)

    @staticmethod
    def _store(upload, path: Path) -> None:
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)

    @staticmethod
    def _remember(request, token: str, job: dict) -> None:
        pending = request.session.get(SESSION_KEY, {})
        pending[token] = job
        request.session[SESSION_KEY] = pending


class ImportConfirmView(ImportView):
    def get(self, request):
        return self.render(request, {})

    def post(self, request):
        pending = request.session.get(SESSION_KEY, {})
        job = pending.pop(request.POST.get("token", ""), None)
        if job is None:
            return self.render(request, {"expired": True}, status=400)
        request.session[SESSION_KEY] = pending
        if not os.path.exists(job["path"]):
            return self.render(request, {"expired": True}, status=400)
        if runs_in_background(os.path.getsize(job["path"])):
            run = queue_upload_import(user=request.user, kind=job["kind"], path=job["path"],
                                      file_name=job["filename"], source_system=job["source"], commit=True)
            return self.render(request, {"kind": job["kind"], "filename": job["filename"], "source": job["source"],
                                         **run_context(run)})
        try:
            with open(job["path"], "rb") as fh:
                result = import_file(user=request.user, kind=job["kind"], fh=fh, filename=job["filename"],
                                     commit=True, source_system=job["source"], max_bytes=max_upload_bytes())
        finally:
            if os.path.exists(job["path"]):
                os.remove(job["path"])
        context = {"result": result, "kind": job["kind"], "filename": job["filename"], "source": job["source"],
                   "done": result.committed}
        if not result.ok:
            context["message"] = _("The data changed since the preview; nothing was imported.")
        return self.render(request, context)


class ImportRunView(ImportView):
    """GET /imports/runs/<pk>/: the state of a background check or import the user queued: a progress
    bar while it waits or runs (the fragment polls itself), then its report. Another user's run, or
    a run that is not an import, answers 404."""

    http_method_names = ["get"]

    def get(self, request, pk: int):
        run = JobRun.objects.filter(pk=pk, user=request.user, job__startswith="import").first()
        if run is None:
            raise Http404
        params = run.params
        context = {"kind": params.get("kind"), "filename": params.get("file_name", ""),
                   "source": params.get("source_system", ""), **run_context(run)}
        if run.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            return self.render(request, context)
        commit = run.job.startswith("import:")
        if not run.report:  # cut off (a killed worker, reaped) before it could report
            context["message"] = _("The job stopped before it finished (%(reason)s); nothing was imported. "
                                   "Upload the file again.") % {"reason": run.error.split("\n", 1)[0] or run.status}
            return self.render(request, context)
        result = report_result(run.report)
        context.update(result=result, done=commit and result.committed)
        if commit and not result.ok:
            context["message"] = _("The data changed since the preview; nothing was imported.")
        if not commit and result.ok and result.created:
            context["token"] = next((token for token, job in request.session.get(SESSION_KEY, {}).items()
                                     if job.get("preview_run") == run.pk), None)
        return self.render(request, context)


class ImportTemplateView(ClientEditorRequiredMixin, View):
    """GET /imports/template/?kind=flows&format=xlsx: the template of a kind (XLSX, or CSV by default)
    in the page's language, with example rows that preview as valid for the user (imports.blanks). An
    unknown kind or format answers 404."""

    http_method_names = ["get"]

    def get(self, request):
        kind, fmt = request.GET.get("kind", "flows"), request.GET.get("format", "csv")
        if kind not in dict(kind_choices()) or fmt not in blanks.FORMATS:
            raise Http404
        language = "en" if not chinese() else "zh-hans"
        content = blanks.build(kind, fmt, example_parties(request.user), language)
        response = HttpResponse(content, content_type=blanks.FORMATS[fmt])
        response["Content-Disposition"] = content_disposition_header(True, blanks.filename(kind, fmt, language))
        response["Cache-Control"] = "private, no-store"
        return response


STAGES = {
    "queued": (0, gettext_lazy("Waiting for a worker")),
    "reading": (5, gettext_lazy("Reading and checking the rows")),
    "checking": (90, gettext_lazy("Checking against the data on file")),
}


def run_context(run: JobRun) -> dict:
    """What the progress fragment shows of a run: its stage, a percentage and the rows read so far."""
    counts = run.counts or {}
    pending = run.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    stage = counts.get("stage", "queued") if pending else "done"
    percent = 100
    if pending:
        percent = STAGES.get(stage, (0, ""))[0]
        total = run.params.get("bytes_total") or 0
        if stage == "reading" and total:
            percent += int(80 * min(counts.get("bytes_read", 0) / total, 1))
    return {"run": run, "run_pending": pending, "run_percent": percent, "run_rows": counts.get("rows_read"),
            "run_stage": str(STAGES.get(stage, (0, ""))[1]), "poll_seconds": POLL_SECONDS,
            "run_commit": run.job.startswith("import:")}

"""Upload page: step 1 checks the file and shows a preview with every bad row; step 2 imports it.

Between the two steps the file waits in a server-side temp directory under a random token kept in the
user's session; the confirm step runs the whole check again inside the import transaction."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from core.htmx import is_fragment, template_for
from core.permissions import ClientEditorRequiredMixin
from imports.engine import max_upload_bytes
from imports.forms import ImportUploadForm
from imports.registry import kind_choices
from imports.services import import_file

SESSION_KEY = "pending_imports"


def _temp_dir() -> Path:
    path = Path(settings.IMPORT_TEMP_DIR or Path(tempfile.gettempdir()) / "crm-imports")
    path.mkdir(parents=True, exist_ok=True)
    return path


class ImportView(ClientEditorRequiredMixin, View):
    template_name = "imports/upload.html"
    partial_template_name = "imports/partials/result.html"

    def render(self, request, context, status=200):
        """Row errors are content, not an HTTP failure: the answer is 200 so htmx swaps it in."""
        template = template_for(request, self.template_name, self.partial_template_name)
        context.setdefault("form", ImportUploadForm())
        context["kinds"] = dict(kind_choices())
        context["max_mb"] = max_upload_bytes() / 1e6
        context["kind_label"] = context["kinds"].get(context.get("kind"), "")
        return render(request, template, context, status=status)

    def get(self, request):
        return self.render(request, {})

    def post(self, request):
        form = ImportUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            # htmx swaps only 2xx answers into the page: its fragment lists the form's errors with 200.
            fragment = is_fragment(request)
            return self.render(request, {"form": form, "form_errors": fragment}, status=200 if fragment else 400)
        upload = form.cleaned_data["file"]
        kind = form.cleaned_data["kind"]
        source = form.source_code  # chosen from the list head office keeps, never the file name
        result = import_file(user=request.user, kind=kind, fh=upload, filename=upload.name, commit=False,
                             source_system=source, max_bytes=max_upload_bytes())
        context = {"form": form, "result": result, "kind": kind, "filename": upload.name, "source": source}
        if result.ok:
            token = secrets.token_urlsafe(16)
            path = _temp_dir() / f"{token}{Path(upload.name).suffix.lower()}"
            with open(path, "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            pending = request.session.get(SESSION_KEY, {})
            pending[token] = {"path": str(path), "kind": kind, "source": source, "filename": upload.name}
            request.session[SESSION_KEY] = pending
            context["token"] = token
        return self.render(request, context)


class ImportConfirmView(ImportView):
    def get(self, request):
        return self.render(request, {})

    def post(self, request):
        pending = request.session.get(SESSION_KEY, {})
        job = pending.pop(request.POST.get("token", ""), None)
        if job is None:
            return self.render(request, {"expired": True}, status=400)
        request.session[SESSION_KEY] = pending
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

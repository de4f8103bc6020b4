"""The admin toolkit: every domain ModelAdmin is head office's, and writes through the services.

The admin is a back-office tool for head office (DESIGN.md section 4: pages, API, imports, jobs and
the admin apply the same rules). Two mixins, used by every app's admin.py:

- `HeadOfficeOnlyMixin`: each has_*_permission (module, view, add, change, delete, and
  simple-history's history permissions) needs an active staff user with head-office scope
  (`staff.scope.scope_for(user).sees_all`) *and* the ordinary Django permission. Branch staff see no
  domain app in /admin/, whatever permissions they were given. History stays viewable by head office;
  reverting to an old version is refused, since it would write past the services.

- `ServiceAdminMixin`: the add form calls the model's create service, the change form its update
  service, "Delete" and the "Delete selected" action its delete service (once per object), each with
  `user=request.user`, so the admin runs the same checks, side effects (a control-link edit refreshes
  group membership) and history authorship as the pages and the API. What has no service is
  read-only in the admin: no create service, no add; no update service, view only; no delete
  service, no delete.

How a refused write shows up
----------------------------
A service refuses with a field-keyed ValidationError (or PermissionDenied). The write happens where
Django expects it, in `save_model`, inside the atomic block of the admin's change view. When the
service refuses, `save_model` raises `ServiceRefused`; it leaves that atomic block, so everything
the attempt wrote (the object, the admin log entry, inline rows) is rolled back, and
`changeform_view` then renders the same POST again with the service's errors put on the form's
fields (core.errors.apply_to_form; a field the form lacks gets a message on top). The service runs
once on success; a refusal costs one more form validation, not a second service call. Why not a
dry run in the form's clean(): it would run every service twice (control links already simulate
their effect in a savepoint), and a success in the dry run would still not guarantee the real write.

Deletions are all or nothing as well: the "Delete selected" action runs in one transaction; if the
service refuses any object, nothing is deleted and the refusals are listed as messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import router, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from core.errors import apply_to_form
from staff.scope import scope_for


def is_head_office_staff(user) -> bool:
    """An active member of staff (is_staff) with head-office scope (hq_admin role or superuser)."""
    return bool(
        getattr(user, "is_active", False) and getattr(user, "is_staff", False) and scope_for(user).sees_all
    )


class HeadOfficeOnlyMixin:
    """Every admin permission needs head office *and* the normal Django permission."""

    def has_module_permission(self, request):
        return is_head_office_staff(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_head_office_staff(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return is_head_office_staff(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return is_head_office_staff(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_head_office_staff(request.user) and super().has_delete_permission(request, obj)

    # simple-history (SimpleHistoryAdmin): with SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS these
    # ask request.user.has_perm() directly, so they are closed here too.

    def has_view_history_permission(self, request, obj=None):
        return is_head_office_staff(request.user) and super().has_view_history_permission(request, obj)

    def has_change_history_permission(self, request, obj=None):
        """Reverting to a historical version would write past the services: never allowed."""
        return False

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """A historical version is shown, never saved back (the view itself does not check the change
        permission on POST)."""
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdminMixin:
    """Derived or workflow rows (group membership, claims, change requests, their inlines): listed and
    viewed, never added, changed or deleted in the admin."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- writes through the services ------------------------------------------------------------------------


class ServiceRefused(Exception):
    """A service refused the admin's write; carries the service's ValidationError."""

    def __init__(self, error: ValidationError):
        super().__init__(error)
        self.error = error


def as_validation_error(exc: Exception) -> ValidationError:
    if isinstance(exc, ValidationError):
        return exc
    return ValidationError(str(exc) or _("You may not make this change."))


def error_messages(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


class _ServiceErrorsForm:
    """Mixed into the admin's form on the second pass of a refused save: adds the service's errors."""

    service_error: ValidationError | None = None

    def _post_clean(self):
        super()._post_clean()  # type: ignore[misc]
        if self.service_error is not None:
            apply_to_form(self, self.service_error)


def copy_stored(source, target) -> None:
    """Make the admin's unsaved instance the row the service stored (pk, fields, state), so the admin
    log entry, the redirect and the inlines see the stored object."""
    for field in target._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


def _service_delete_selected(modeladmin, request, queryset):
    """Django's "Delete selected" (same confirmation page), in one transaction: `delete_queryset`
    calls the delete service for each object, and one refusal deletes nothing."""
    try:
        with transaction.atomic(using=router.db_for_write(modeladmin.model)):
            return django_delete_selected(modeladmin, request, queryset)
    except ServiceRefused as refused:
        for message in error_messages(refused.error):
            modeladmin.message_user(request, message, messages.ERROR)
        modeladmin.message_user(request, _("Nothing was deleted."), messages.WARNING)
        return None


def run_service_action(modeladmin, request, queryset, service, object_arg: str, **kwargs) -> int:
    """An admin action that calls `service(user=..., <object_arg>=obj, **kwargs)` for each selected
    object (each in the service's own transaction); refusals are reported per object. Returns how
    many objects the service accepted."""
    done = 0
    for obj in queryset:
        try:
            service(user=request.user, **{object_arg: obj}, **kwargs)
        except (ValidationError, PermissionDenied) as exc:
            modeladmin.message_user(
                request, f"{obj}: {' '.join(error_messages(as_validation_error(exc)))}", messages.WARNING
            )
        else:
            done += 1
    modeladmin.message_user(request, _("%(n)d of %(total)d updated.") % {"n": done, "total": len(queryset)})
    return done


class ServiceAdminMixin:
    """Add, change and delete in the admin go through the model's services.

    Declare the services as class attributes (plain functions, called with keyword arguments):

    - `create_service(user=..., **create_kwargs(request, form))`: returns the stored object;
    - `update_service(user=..., <service_object>=obj, **update_kwargs(request, form, obj))`;
    - `delete_service(user=..., <service_object>=obj)`;

    `service_object` is the keyword the update and delete services take the object by ("link",
    "member"). The default adapters pass the form's cleaned data (create) or only the fields the user
    changed (update), under their model field names; override `create_kwargs`/`update_kwargs` to
    rename or drop keys, or `service_create`/`service_update`/`service_delete` for a model whose
    services do not fit this shape. `readonly_on_change` lists fields fixed once the object exists
    (those its update service does not change).
    """

    create_service: Callable[..., Any] | None = None
    update_service: Callable[..., Any] | None = None
    delete_service: Callable[..., Any] | None = None
    service_object: str = "obj"
    readonly_on_change: tuple[str, ...] = ()

    # --- which writes exist ---

    def _has_service(self, kind: str) -> bool:
        if getattr(type(self), f"{kind}_service", None) is not None:
            return True
        method = getattr(type(self), f"service_{kind}")
        return method is not getattr(ServiceAdminMixin, f"service_{kind}")

    def has_add_permission(self, request, *args):
        return self._has_service("create") and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._has_service("update") and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._has_service("delete") and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += [name for name in self.readonly_on_change if name not in fields]
        return fields

    # --- adapters from the form to the services ---

    def create_kwargs(self, request, form) -> dict:
        return dict(form.cleaned_data)

    def update_kwargs(self, request, form, obj) -> dict:
        return {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}

    def _call(self, which: str, /, **kwargs):
        # Positional-only: a service may itself take a `kind` argument (bank_account_create).
        service = getattr(type(self), f"{which}_service")
        return service(**kwargs)

    def service_create(self, request, form):
        return self._call("create", user=request.user, **self.create_kwargs(request, form))

    def service_update(self, request, form, obj):
        return self._call("update", user=request.user, **{self.service_object: obj},
                          **self.update_kwargs(request, form, obj))

    def service_delete(self, request, obj) -> None:
        self._call("delete", user=request.user, **{self.service_object: obj})

    # --- the ModelAdmin hooks ---

    def save_model(self, request, obj, form, change):
        try:
            stored = self.service_update(request, form, obj) if change else self.service_create(request, form)
        except (ValidationError, PermissionDenied) as exc:
            raise ServiceRefused(as_validation_error(exc)) from exc
        if stored is not None and stored is not obj:
            copy_stored(stored, obj)

    def save_related(self, request, form, formsets, change):
        """The services write the many-to-many fields themselves (a group's team): no form.save_m2m().
        Inlines of service admins are read-only; their (empty) formsets are saved as usual."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        try:
            self.service_delete(request, obj)
        except (ValidationError, PermissionDenied) as exc:
            raise ServiceRefused(as_validation_error(exc)) from exc

    def delete_queryset(self, request, queryset):
        """Each object through the delete service; every refusal is collected, then none is deleted
        (the caller's transaction rolls back)."""
        refusals = []
        for obj in queryset:
            try:
                self.service_delete(request, obj)
            except ObjectDoesNotExist:  # removed by an earlier delete of this batch
                continue
            except (ValidationError, PermissionDenied) as exc:
                refusals.append(f"{obj}: {' '.join(error_messages(as_validation_error(exc)))}")
        if refusals:
            raise ServiceRefused(ValidationError(refusals))

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _func, name, description = actions["delete_selected"]
            actions["delete_selected"] = (_service_delete_selected, name, description)
        return actions

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, "_admin_service_error", None)
        if error is None:
            return form
        return type(form.__name__, (_ServiceErrorsForm, form), {"service_error": error})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            # The admin's atomic block has rolled the attempt back; show the same POST with the
            # service's errors on the form.
            request._admin_service_error = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refused:
            for message in error_messages(refused.error):
                self.message_user(request, message, messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(
                reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            )


__all__ = [
    "HeadOfficeOnlyMixin",
    "ReadOnlyAdminMixin",
    "ServiceAdminMixin",
    "ServiceRefused",
    "is_head_office_staff",
    "run_service_action",
]

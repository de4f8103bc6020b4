"""Admin test helpers: staff users with every permission, and the POST data of an admin form as shown."""

from __future__ import annotations

from django.contrib.auth.models import Permission

from staff.scope import forget_scope


def staff_with_all_permissions(user):
    """`user` as a member of staff holding every Django permission (not a superuser): only their role
    and branch then decide what the admin lets them do."""
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.all())
    forget_scope(user)
    return user


def _as_post_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return str(value)


def form_data(response) -> dict:
    """The data an admin add/change page would post back unchanged: its form's values and the
    management data of its inline formsets."""
    data: dict = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = _as_post_value(form[name].value())
            if value is not None:
                data[form.add_prefix(name)] = value
    return data

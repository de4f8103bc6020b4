"""Natural keys of staff in the API: a member of staff by username, a branch by code."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from staff.models import Branch


class StaffByUsernameField(serializers.SlugRelatedField):
    """A member of staff (a login with a staff profile) given by username."""

    default_error_messages = {"does_not_exist": _("No staff member with this username.")}

    def __init__(self, **kwargs):
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", get_user_model().objects.filter(profile__isnull=False))
        super().__init__(slug_field="username", **kwargs)


class BranchByCodeField(serializers.SlugRelatedField):
    default_error_messages = {"does_not_exist": _("No branch with this code.")}

    def __init__(self, **kwargs):
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Branch.objects.all())
        super().__init__(slug_field="code", **kwargs)

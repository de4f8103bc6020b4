"""Branches, staff profiles and roles: the ground of every access rule."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS


class BranchLevel(models.TextChoices):
    HEAD_OFFICE = "head_office", _("Head office")
    BRANCH = "branch", pgettext_lazy("branch level", "Branch")
    SUB_BRANCH = "sub_branch", _("Sub-branch")


class Branch(models.Model):
    """A node of the bank's branch tree (head office > branch > sub-branch).

    `path` is a materialised path ("/1/4/9/") so that a subtree is one indexed prefix query.
    """

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=20, choices=BranchLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False, default="")

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["path"]
        indexes = [models.Index(fields=["path"], name="branch_path_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    RM = "rm", _("Relationship manager")
    BRANCH_HEAD = "branch_head", _("Branch head")
    RISK_OFFICER = "risk_officer", _("Risk officer")
    HQ_ADMIN = "hq_admin", _("Head-office admin")


def staff_name(user) -> str:
    """How people see a member of staff: the profile's display name, else the username ("" for none)."""
    if user is None:
        return ""
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile else "") or user.get_username()


class StaffProfile(models.Model):
    """A user's role and branch: what they may see follows from these two."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="staff"
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self):
        return staff_name(self.user)


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox): only the SHA-512 digest of the secret is stored, never the secret.

    `token_key` is the secret's first characters: it finds the row (the digest is then compared) and
    names the token in lists, URLs and the audit log. Every token expires (`expiry`); rotation replaces
    it with a new secret, revocation deletes it (`staff.tokens`). The last use and the addresses it was
    used from are noted at most once a minute (`staff.authentication`)."""

    token_key = models.CharField(pgettext_lazy("API token", "key"), max_length=CONSTANTS.MAXIMUM_TOKEN_PREFIX_LENGTH + CONSTANTS.TOKEN_KEY_LENGTH,
                                 unique=True)
    name = models.CharField(_("name"), max_length=100)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("last used from"), null=True, blank=True)
    # Addresses the token was created or used from (the latest few): a use from any other is audited.
    seen_addresses = models.JSONField(_("addresses"), default=list, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created", "token_key"]

    def __str__(self):
        return f"{self.token_key} ({self.name})"

    @property
    def is_expired(self) -> bool:
        from django.utils import timezone

        return self.expiry is not None and self.expiry <= timezone.now()

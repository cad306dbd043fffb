from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicTask(models.Model):
    """A task the campaign office shows on the public results board."""

    task = models.OneToOneField("rectification.Task", on_delete=models.CASCADE, related_name="public_entry")
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("task on the public board")
        verbose_name_plural = _("tasks on the public board")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    """The public's voice: opinions in, plans published, status out, satisfaction surveys."""

    name = "public"
    verbose_name = _("The public's voice")
    default_auto_field = "django.db.models.BigAutoField"

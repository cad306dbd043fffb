from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignConfig(AppConfig):
    name = "campaign"
    verbose_name = _("Campaign and units")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from campaign import checks, receivers  # noqa: F401 - importing checks registers the system checks

        from . import rollups
        from .models import IndicatorValue, Participation
        from .signals import unit_moved

        receivers.connect()
        unit_moved.connect(rollups.unit_moved, dispatch_uid="campaign.rollups.unit_moved")
        for model in (Participation, IndicatorValue):
            for name, signal in (("saved", post_save), ("deleted", post_delete)):
                uid = f"campaign.rollups.{model.__name__}.{name}"
                signal.connect(rollups.participation_changed, sender=model, dispatch_uid=uid)

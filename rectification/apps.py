from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationConfig(AppConfig):
    name = "rectification"
    verbose_name = _("Rectification")

    def ready(self):
        from campaign.signals import unit_moved

        from .models.tasks import move_task_paths

        unit_moved.connect(move_task_paths, dispatch_uid="rectification.move_task_paths")

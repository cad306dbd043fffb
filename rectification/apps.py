from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationConfig(AppConfig):
    name = "rectification"
    verbose_name = _("Rectification")

    def ready(self):
        from campaign.signals import account_deactivated, unit_moved, unit_without_staff

        from .accounts import drop_waiting_email, warn_unit_above
        from .models.tasks import move_task_paths

        unit_moved.connect(move_task_paths, dispatch_uid="rectification.move_task_paths")
        account_deactivated.connect(drop_waiting_email, dispatch_uid="rectification.drop_waiting_email")
        unit_without_staff.connect(warn_unit_above, dispatch_uid="rectification.warn_unit_above")

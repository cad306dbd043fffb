from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationConfig(AppConfig):
    name = "rectification"
    verbose_name = _("Rectification")

    def ready(self):
        from django.db.models.signals import post_delete, post_save, pre_save

        from campaign.signals import account_deactivated, unit_moved, unit_without_staff

        from . import exports, rollups
        from .accounts import drop_waiting_email, warn_unit_above
        from .forms import tasks  # noqa: F401  (registers the unit pickers' "roots" source)
        from .models.tasks import Task, move_task_paths

        exports.connect()
        unit_moved.connect(move_task_paths, dispatch_uid="rectification.move_task_paths")
        unit_moved.connect(rollups.unit_moved, dispatch_uid="rectification.rollups.unit_moved")
        post_delete.connect(rollups.task_deleted, sender=Task, dispatch_uid="rectification.rollups.task_deleted")
        pre_save.connect(rollups.task_saving, sender=Task, dispatch_uid="rectification.rollups.task_saving")
        post_save.connect(rollups.task_saved_signal, sender=Task, dispatch_uid="rectification.rollups.task_saved")
        account_deactivated.connect(drop_waiting_email, dispatch_uid="rectification.drop_waiting_email")
        unit_without_staff.connect(warn_unit_above, dispatch_uid="rectification.warn_unit_above")

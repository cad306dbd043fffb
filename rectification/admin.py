from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import (
    AccountabilityRecord,
    CoordinationRequest,
    Explanation,
    ExtensionRequest,
    JobRun,
    Notification,
    Problem,
    SpotCheck,
    Task,
    Verification,
    WarningPolicy,
)


class HistoryReadOnlyAdmin(SimpleHistoryAdmin):
    """History can be read, never reverted. SIMPLE_HISTORY_REVERT_DISABLED only
    hides the button; a crafted POST to the history form would still save, so
    it is refused here."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(Problem)
class ProblemAdmin(HistoryReadOnlyAdmin):
    list_display = ["title", "source", "category", "unit", "root_unit", "batch", "found_on"]
    list_filter = ["source", "category", "batch"]
    search_fields = ["title", "description"]
    autocomplete_fields = ["unit", "root_unit", "related_problem"]


@admin.register(Task)
class TaskAdmin(HistoryReadOnlyAdmin):
    list_display = ["title", "unit", "term", "due_date", "status", "warning_level", "progress"]
    list_filter = ["status", "term", "warning_level", "batch"]
    search_fields = ["title", "measures"]
    autocomplete_fields = ["problem", "unit", "parent", "co_units"]
    # The workflow fields change only through the app's steps (services.py):
    # the due date through an approved extension, the status through 销号/退回.
    readonly_fields = [
        "due_date",
        "status",
        "progress",
        "warning_level",
        "warning_since",
        "original_due_date",
        "explained_at",
        "closed_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        # A new task needs its first due date; after that it moves only by extension.
        fields = super().get_readonly_fields(request, obj)
        return [field for field in fields if field != "due_date"] if obj is None else fields

    def save_model(self, request, obj, form, change):
        """A sub-task moved here from one parent to another (or added) changes
        both parents' progress, in the same transaction as the move."""
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            services.roll_up_progress(obj.parent_id, form.initial.get("parent") if change else None)


@admin.register(WarningPolicy)
class WarningPolicyAdmin(admin.ModelAdmin):
    list_display = ["campaign", "term", "window_days", "escalate_after_days", "explanation_grace_days", "reminder_days"]
    list_editable = ["window_days", "escalate_after_days", "explanation_grace_days", "reminder_days"]


class RecordAdmin(admin.ModelAdmin):
    """Requests and decisions are the audit trail: readable here, never edited or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Verification)
class VerificationAdmin(RecordAdmin):
    list_display = ["task", "outcome", "requested_by", "requested_at", "decided_by", "decided_at"]
    list_filter = ["outcome"]


@admin.register(Explanation)
class ExplanationAdmin(RecordAdmin):
    list_display = ["task", "reason_code", "author", "created_at", "reviewed_at"]
    list_filter = ["reason_code"]


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(RecordAdmin):
    list_display = ["task", "previous_due_date", "requested_due_date", "decision", "decided_by"]
    list_filter = ["decision"]


@admin.register(CoordinationRequest)
class CoordinationRequestAdmin(RecordAdmin):
    list_display = ["subject", "from_unit", "to_unit", "status", "created_at", "resolved_at"]
    list_filter = ["status"]


@admin.register(SpotCheck)
class SpotCheckAdmin(RecordAdmin):
    list_display = ["group", "checked_on", "created_by"]


@admin.register(AccountabilityRecord)
class AccountabilityRecordAdmin(RecordAdmin):
    list_display = ["unit", "person_name", "measure", "decided_on", "decided_by"]
    list_filter = ["measure"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "kind", "created_at", "read_at", "email_status", "email_attempts"]
    list_filter = ["kind", "email_status"]


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["name", "started_at", "duration_ms", "ok"]
    list_filter = ["name", "ok"]

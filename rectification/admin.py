from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

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


@admin.register(Problem)
class ProblemAdmin(SimpleHistoryAdmin):
    list_display = ["title", "source", "category", "unit", "root_unit", "batch", "found_on"]
    list_filter = ["source", "category", "batch"]
    search_fields = ["title", "description"]
    autocomplete_fields = ["unit", "root_unit", "related_problem"]


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["title", "unit", "term", "due_date", "status", "warning_level", "progress"]
    list_filter = ["status", "term", "warning_level", "batch"]
    search_fields = ["title", "measures"]
    autocomplete_fields = ["problem", "unit", "parent", "co_units"]
    readonly_fields = ["status", "progress", "warning_level", "warning_since", "original_due_date", "closed_at"]


@admin.register(WarningPolicy)
class WarningPolicyAdmin(admin.ModelAdmin):
    list_display = ["campaign", "term", "window_days", "escalate_after_days", "explanation_grace_days", "reminder_days"]
    list_editable = ["window_days", "escalate_after_days", "explanation_grace_days", "reminder_days"]


for model in (Verification, Explanation, ExtensionRequest, CoordinationRequest, SpotCheck, AccountabilityRecord):
    admin.site.register(model)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "kind", "created_at", "read_at", "email_status", "email_attempts"]
    list_filter = ["kind", "email_status"]


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["name", "started_at", "duration_ms", "ok"]
    list_filter = ["name", "ok"]

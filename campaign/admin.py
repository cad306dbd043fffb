from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Batch,
    Campaign,
    Indicator,
    IndicatorValue,
    Membership,
    Participation,
    Phase,
    Profile,
    ProvisioningRun,
    SupervisionGroup,
    Unit,
)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "kind", "org_type", "code", "parent", "leader_name", "member_count"]
    list_filter = ["kind", "org_type", "depth"]
    search_fields = ["name", "short_name", "code"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth"]


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["name", "campaign", "number", "start_date", "end_date", "five_checks", "report_due"]
    inlines = [PhaseInline]


class BatchInline(admin.TabularInline):
    model = Batch
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "issuing_unit", "start_date", "end_date"]
    inlines = [BatchInline]


@admin.register(Participation)
class ParticipationAdmin(SimpleHistoryAdmin):
    list_display = ["unit", "batch", "members_expected", "members_participated", "makeup_members"]
    list_filter = ["batch"]
    search_fields = ["unit__name"]
    autocomplete_fields = ["unit"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "measure", "rollup", "campaign", "order", "needs_evidence"]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(SimpleHistoryAdmin):
    list_display = ["indicator", "unit", "batch", "value"]
    list_filter = ["indicator", "batch"]
    autocomplete_fields = ["unit"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role"]
    autocomplete_fields = ["unit", "user"]


@admin.register(SupervisionGroup)
class SupervisionGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "campaign", "organising_unit", "leader"]
    filter_horizontal = ["members", "units"]
    autocomplete_fields = ["organising_unit"]


# --- accounts ---------------------------------------------------------------------------

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    fk_name = "user"
    can_delete = False
    fields = ["phone", "staff_number", "must_change_password", "initial_password_set_at", "password_changed_at",
              "deactivated_at", "deactivated_by"]  # fmt: skip
    readonly_fields = ["must_change_password", "initial_password_set_at", "password_changed_at", "deactivated_at",
                       "deactivated_by"]  # fmt: skip


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(ProvisioningRun)
class ProvisioningRunAdmin(admin.ModelAdmin):
    """Read-only: runs are made by uploading a file on the accounts page."""

    list_display = ["file_name", "created_by", "created_at", "status", "row_count"]
    list_filter = ["status"]
    exclude = ["data"]
    readonly_fields = [f.name for f in ProvisioningRun._meta.fields if f.name != "data"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Django's user admin with the profile and memberships on the page. Switching
    "active" off here has the same effects as deactivating on the accounts page
    (campaign.receivers); only the last-staff check is the superuser's own call."""

    inlines = [ProfileInline, MembershipInline]

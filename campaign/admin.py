from django.contrib import admin

from .models import (
    Batch,
    Campaign,
    Indicator,
    IndicatorValue,
    Membership,
    Participation,
    Phase,
    SupervisionGroup,
    Unit,
)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "kind", "code", "parent", "leader_name", "member_count"]
    list_filter = ["kind", "depth"]
    search_fields = ["name", "short_name", "code"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth"]


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["name", "campaign", "number", "start_date", "end_date"]
    inlines = [PhaseInline]


class BatchInline(admin.TabularInline):
    model = Batch
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "issuing_unit", "start_date", "end_date"]
    inlines = [BatchInline]


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    list_display = ["unit", "batch", "members_expected", "members_participated", "makeup_members"]
    list_filter = ["batch"]
    search_fields = ["unit__name"]
    autocomplete_fields = ["unit"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "measure", "rollup", "campaign", "order"]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(admin.ModelAdmin):
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

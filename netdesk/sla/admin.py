from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from netdesk.sla.models import (
    BusinessCalendar,
    EscalationNotice,
    EscalationRule,
    Holiday,
    RecipientHours,
    SlaPolicy,
    SlaTarget,
    SlaTimer,
    WorkingHours,
)
from netdesk.sla.selectors import policies_changed


class PoliciesChangedMixin:
    """Any edit here changes which targets apply: drop the cached policies."""

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        policies_changed()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        policies_changed()

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        super().delete_model(request, obj)  # type: ignore[misc]
        policies_changed()


class WorkingHoursInline(admin.TabularInline):  # type: ignore[type-arg]
    model = WorkingHours
    extra = 0


class HolidayInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(PoliciesChangedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "time_zone", "always_open")
    inlines = [WorkingHoursInline, HolidayInline]


class SlaTargetInline(admin.TabularInline):  # type: ignore[type-arg]
    model = SlaTarget
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(PoliciesChangedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "name",
        "kind",
        "rank",
        "is_active",
        "calendar",
        "match_priority",
        "match_segment",
        "receiving_group",
    )
    list_filter = ("kind", "is_active")
    raw_id_fields = ("match_customer",)
    inlines = [SlaTargetInline]


@admin.register(SlaTimer)
class SlaTimerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("ticket", "kind", "metric", "state", "due_at", "breached_at")
    list_filter = ("kind", "metric", "state")
    raw_id_fields = ("ticket",)
    readonly_fields = [f.name for f in SlaTimer._meta.fields]


@admin.register(EscalationRule)
class EscalationRuleAdmin(PoliciesChangedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "name",
        "is_active",
        "kind",
        "metric",
        "policy",
        "at_percent",
        "action",
        "notify",
        "target_group",
    )
    list_filter = ("is_active", "action", "kind", "metric")


@admin.register(RecipientHours)
class RecipientHoursAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "calendar")


@admin.register(EscalationNotice)
class EscalationNoticeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "subject",
        "recipient",
        "address",
        "deliver_after",
        "delivered_at",
    )
    list_filter = ("delivered_at",)
    raw_id_fields = ("ticket",)
    readonly_fields = [f.name for f in EscalationNotice._meta.fields]

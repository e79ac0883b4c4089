"""Admin screens for NOC records: maintenance windows are planned here;
alarms, incidents and rejected input can be inspected."""

from django.contrib import admin

from netdesk.noc.models import (
    Alarm,
    IncidentUpdate,
    LiaisonRecord,
    MaintenanceWindow,
    NetworkIncident,
    RejectedInput,
    SuspectedOutage,
)


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title", "starts_at", "ends_at", "public")
    list_filter = ("public",)
    search_fields = ("title",)
    raw_id_fields = ("elements",)
    filter_horizontal = ("areas",)


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "element", "element_ref", "severity", "state", "last_seen", "incident")
    list_filter = ("state", "source", "severity", "is_flapping")
    search_fields = ("name", "element_ref", "fingerprint")
    raw_id_fields = ("element", "incident", "suppressed_by")


class IncidentUpdateInline(admin.TabularInline):  # type: ignore[type-arg]
    model = IncidentUpdate
    extra = 0
    raw_id_fields = ("author",)


@admin.register(NetworkIncident)
class NetworkIncidentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("__str__", "state", "root_element", "affected_customers", "started_at")
    list_filter = ("state", "detected_by")
    search_fields = ("title",)
    raw_id_fields = ("root_element", "elements", "affected_key_accounts", "detected_by_user")
    inlines = [IncidentUpdateInline]


@admin.register(RejectedInput)
class RejectedInputAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("at", "source", "peer", "reason")
    list_filter = ("source",)


@admin.register(SuspectedOutage)
class SuspectedOutageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("__str__", "state", "complaints", "expected", "raised_at")
    list_filter = ("state",)
    raw_id_fields = ("element", "area", "tickets", "incident", "decided_by")


@admin.register(LiaisonRecord)
class LiaisonRecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("at", "kind", "from_group", "to_group", "ticket", "incident")
    list_filter = ("kind",)
    raw_id_fields = ("ticket", "incident", "author", "answers")

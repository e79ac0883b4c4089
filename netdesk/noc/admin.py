"""Admin screens for NOC records: maintenance windows are planned here;
alarms, incidents and rejected input can be inspected."""

from django.contrib import admin
from django.http import HttpRequest

from netdesk.noc.models import (
    Alarm,
    IncidentUpdate,
    LiaisonRecord,
    MaintenanceWindow,
    NetworkIncident,
    RejectedInput,
    RootCauseModel,
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
    raw_id_fields = (
        "root_element",
        "elements",
        "affected_key_accounts",
        "detected_by_user",
        # Ids, not drop-downs: a busy network has hundreds of thousands of alarms.
        "probable_root_alarm",
        "split_from",
        "merged_into",
    )
    inlines = [IncidentUpdateInline]


@admin.register(RejectedInput)
class RejectedInputAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("at", "source", "peer", "reason")
    list_filter = ("source",)


@admin.register(SuspectedOutage)
class SuspectedOutageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "__str__",
        "confidence",
        "level",
        "state",
        "complaints",
        "expected",
        "raised_at",
    )
    list_filter = ("state", "confidence", "level")
    raw_id_fields = ("element", "area", "tickets", "incident", "decided_by")


@admin.register(LiaisonRecord)
class LiaisonRecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("at", "kind", "from_group", "to_group", "ticket", "incident")
    list_filter = ("kind",)
    raw_id_fields = ("ticket", "incident", "author", "answers")


@admin.register(RootCauseModel)
class RootCauseModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """What the root-cause ranking learned, to inspect: the nightly task
    writes it, nobody edits it."""

    list_display = ("learned_at", "alarms", "window_seconds", "learned_from", "learned_until")

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002 - Django's signature
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:  # noqa: ARG002 - Django's signature
        return False

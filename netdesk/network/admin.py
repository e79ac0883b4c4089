from django.contrib import admin

from netdesk.network.models import Area, NetworkElement


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "parent")
    search_fields = ("code", "name")


@admin.register(NetworkElement)
class NetworkElementAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "kind", "area", "upstream")
    list_filter = ("kind",)
    search_fields = ("name",)
    raw_id_fields = ("upstream",)

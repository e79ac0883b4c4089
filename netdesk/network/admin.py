from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join

from netdesk.core.admin import DataChangedMixin
from netdesk.network.models import Area, ElementKind, Link, LinkKind, NetworkElement


class KindInput(forms.TextInput):
    """A free text box that suggests the usual kinds (an HTML datalist)."""

    def __init__(self, suggestions: list[str], list_id: str) -> None:
        super().__init__(attrs={"list": list_id})
        self.suggestions = suggestions
        self.list_id = list_id

    def render(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        options = format_html_join(
            "", '<option value="{}">', ((value,) for value in self.suggestions)
        )
        datalist = format_html('<datalist id="{}">{}</datalist>', self.list_id, options)
        return super().render(*args, **kwargs) + datalist


@admin.register(Area)
class AreaAdmin(DataChangedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "parent", "source")
    list_filter = ("source",)
    search_fields = ("code", "name", "external_id")
    raw_id_fields = ("parent",)


@admin.register(NetworkElement)
class NetworkElementAdmin(DataChangedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "kind", "area", "upstream", "management_ip", "source")
    list_filter = ("kind", "source")
    list_select_related = ("area", "upstream")
    search_fields = ("name", "external_id", "management_ip")
    raw_id_fields = ("upstream", "area")

    def formfield_for_dbfield(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "kind":
            kwargs["widget"] = KindInput(ElementKind.values, "element-kinds")
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Link)
class LinkAdmin(DataChangedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("__str__", "kind", "a_port", "b_port", "capacity_mbps", "source")
    list_filter = ("kind", "source")
    list_select_related = ("a_element", "b_element")
    search_fields = ("name", "a_element__name", "b_element__name", "external_id")
    raw_id_fields = ("a_element", "b_element")

    def formfield_for_dbfield(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "kind":
            kwargs["widget"] = KindInput(LinkKind.values, "link-kinds")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from netdesk.accounts.models import ApiToken, SupportGroup, Tier, User
from netdesk.core.admin import DataChangedMixin


@admin.register(User)
class NetDeskUserAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ("username", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active")
    # The phone extension ties an agent to the PBX's answering number (docs/phone.md).
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Desk", {"fields": ("role", "time_zone", "phone_extension")}),
    )


# Tiers and groups are kept by each process for ticket intake (the intake
# group): an edit here marks the table changed (`core.memo`).
@admin.register(Tier)
class TierAdmin(DataChangedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "kind", "level")


@admin.register(SupportGroup)
class SupportGroupAdmin(DataChangedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "tier", "supervisor", "is_active")
    filter_horizontal = ("members",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")

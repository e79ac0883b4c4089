from django.contrib import admin

from netdesk.core.admin import DataChangedMixin
from netdesk.customers.forms import ContactForm, CustomerForm
from netdesk.customers.models import Contact, Customer, Service


class ContactInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Contact
    form = ContactForm
    extra = 0


@admin.register(Customer)
class CustomerAdmin(DataChangedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("account_number", "name", "segment", "account_manager")
    list_filter = ("segment",)
    form = CustomerForm
    search_fields = ("account_number", "name", "phone")
    raw_id_fields = ("parent_account",)
    inlines = [ContactInline]


@admin.register(Service)
class ServiceAdmin(DataChangedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("service_id", "customer", "product", "access_technology", "status")
    list_filter = ("access_technology", "status")
    search_fields = ("service_id",)
    raw_id_fields = ("customer", "access_element")

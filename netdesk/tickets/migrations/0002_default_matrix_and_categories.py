"""Default impact × urgency matrix and the categories a network operator needs."""

from django.db import migrations

MATRIX = {
    (1, 1): 1, (1, 2): 2, (1, 3): 3,
    (2, 1): 2, (2, 2): 3, (2, 3): 4,
    (3, 1): 3, (3, 2): 4, (3, 3): 5,
}
CATEGORIES = {
    "fault": ["No service", "Slow speed", "Intermittent connection", "No dial tone",
              "Wi-Fi / router problem", "TV / IPTV fault", "Email / hosting problem"],
    "service_request": ["New connection", "Relocation", "Speed upgrade", "Router replacement",
                        "Static IP address", "Cancellation"],
    "complaint": ["Repeated fault", "Missed appointment", "Staff conduct", "Service quality"],
    "billing_inquiry": ["Invoice question", "Invoice dispute", "Payment", "Refund"],
    "information_request": ["Coverage / availability", "Tariffs and products",
                            "Outage information", "Account details"],
}


def create(apps, schema_editor):
    PriorityRule = apps.get_model("tickets", "PriorityRule")
    Category = apps.get_model("tickets", "Category")
    for (impact, urgency), priority in MATRIX.items():
        PriorityRule.objects.get_or_create(
            impact=impact, urgency=urgency, defaults={"priority": priority}
        )
    for ticket_type, names in CATEGORIES.items():
        for name in names:
            Category.objects.get_or_create(ticket_type=ticket_type, name=name)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

"""A fresh desk starts with two calendars, SLA targets per priority and OLAs
for the NOC and field engineering. Operators adjust them in the admin."""

from datetime import time

from django.db import migrations

# (priority, first response minutes, resolution minutes, calendar)
SLA_BY_PRIORITY = [
    (1, 15, 4 * 60, "24×7"),
    (2, 30, 8 * 60, "24×7"),
    (3, 2 * 60, 3 * 10 * 60, "Office hours"),
    (4, 8 * 60, 5 * 10 * 60, "Office hours"),
    (5, 2 * 10 * 60, 10 * 10 * 60, "Office hours"),
]
# (receiving group, response minutes, resolution minutes, calendar)
OLAS = [
    ("NOC", 15, 4 * 60, "24×7"),
    ("Field engineering", 60, 8 * 60, "Office hours"),
]


def create(apps, schema_editor):
    Calendar = apps.get_model("sla", "BusinessCalendar")
    WorkingHours = apps.get_model("sla", "WorkingHours")
    Policy = apps.get_model("sla", "SlaPolicy")
    Target = apps.get_model("sla", "SlaTarget")
    SupportGroup = apps.get_model("accounts", "SupportGroup")
    always, _ = Calendar.objects.get_or_create(
        name="24×7", defaults={"time_zone": "UTC", "always_open": True}
    )
    office, created = Calendar.objects.get_or_create(
        name="Office hours", defaults={"time_zone": "UTC"}
    )
    if created:
        for weekday in range(5):
            WorkingHours.objects.create(calendar=office, weekday=weekday, opens=time(8),
                                        closes=time(18))
    calendars = {"24×7": always, "Office hours": office}
    for priority, response, resolution, calendar in SLA_BY_PRIORITY:
        policy, created = Policy.objects.get_or_create(
            name=f"Standard P{priority}",
            defaults={"kind": "sla", "rank": 100 + priority, "match_priority": priority,
                      "calendar": calendars[calendar],
                      "pause_statuses": ["pending_customer", "pending_third_party"]},
        )
        if created:
            Target.objects.create(policy=policy, metric="first_response", minutes=response)
            Target.objects.create(policy=policy, metric="resolution", minutes=resolution)
    for group_name, response, resolution, calendar in OLAS:
        group = SupportGroup.objects.filter(name=group_name).first()
        if group is None:
            continue
        policy, created = Policy.objects.get_or_create(
            name=f"OLA {group_name}",
            defaults={"kind": "ola", "rank": 100, "receiving_group": group,
                      "calendar": calendars[calendar],
                      "pause_statuses": ["pending_customer", "pending_third_party"]},
        )
        if created:
            Target.objects.create(policy=policy, metric="first_response", minutes=response)
            Target.objects.create(policy=policy, metric="resolution", minutes=resolution)


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial"), ("accounts", "0002_default_tiers")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

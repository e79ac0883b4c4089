"""A fresh desk starts with the usual lines of support and one group per line."""

from django.db import migrations

TIERS = [
    ("First line (hotline)", "first_line", 1, "Hotline"),
    ("Second line (NOC)", "second_line", 2, "NOC"),
    ("Third line (field engineering)", "third_line", 3, "Field engineering"),
    ("Billing", "billing", 2, "Billing"),
    ("Account management", "account_management", 2, "Key account management"),
]


def create(apps, schema_editor):
    Tier = apps.get_model("accounts", "Tier")
    SupportGroup = apps.get_model("accounts", "SupportGroup")
    for name, kind, level, group in TIERS:
        tier, _ = Tier.objects.get_or_create(name=name, defaults={"kind": kind, "level": level})
        SupportGroup.objects.get_or_create(name=group, defaults={"tier": tier})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

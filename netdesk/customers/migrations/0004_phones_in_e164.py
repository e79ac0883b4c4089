"""Numbers stored as they were typed become E.164, as every write now
stores them; national forms are read in the desk's NETDESK_PHONE_REGION.
A number that cannot be read is left exactly as it was (the search still
finds it by its digits)."""

import re

import phonenumbers
from django.conf import settings
from django.db import migrations

BATCH = 2000
NON_DIGITS = re.compile(r"\D+")


def _e164(raw, region):
    try:
        number = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException:
        return None
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != phonenumbers.ValidationResult.IS_POSSIBLE or number.extension:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _normalise(model, region):
    # Batches by primary key, each read whole before it is written: SQLite
    # gives no isolation between a cursor still reading and a write.
    last = 0
    while True:
        rows = list(
            model.objects.filter(pk__gt=last)
            .exclude(phone="")
            .order_by("pk")
            .only("pk", "phone")[:BATCH]
        )
        if not rows:
            return
        last = rows[-1].pk
        changed = []
        for row in rows:
            e164 = _e164(row.phone, region)
            if e164 is not None and e164 != row.phone:
                row.phone = e164
                row.phone_digits = NON_DIGITS.sub("", e164)
                changed.append(row)
        model.objects.bulk_update(changed, ["phone", "phone_digits"])


def phones_in_e164(apps, _schema_editor):
    region = getattr(settings, "NETDESK_PHONE_REGION", "")
    for name in ("Customer", "Contact"):
        _normalise(apps.get_model("customers", name), region)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_service_impact_index"),
    ]

    operations = [
        # Backwards leaves the numbers in E.164: the typed form is not kept.
        migrations.RunPython(phones_in_e164, migrations.RunPython.noop),
    ]

from django.db import migrations


def clear_network_restored(apps, schema_editor):
    # Tickets resolved because the network came back were flagged as resolved
    # on first contact; the rule now says they are not.
    Ticket = apps.get_model("tickets", "Ticket")
    Ticket.objects.filter(resolution_code="network_restored", first_contact_resolved=True).update(
        first_contact_resolved=False
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0007_incident_and_liaison_event_kinds"),
    ]

    operations = [
        # Not reversible in meaning: which of them were flagged is not kept.
        migrations.RunPython(clear_network_restored, migrations.RunPython.noop),
    ]

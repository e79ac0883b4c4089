from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from netdesk.customers.models import email_key

BATCH = 2000


def fill_email_keys(apps: Apps, _schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    """Existing contacts get the key their address is matched by."""
    contact_model = apps.get_model("customers", "Contact")
    rows = contact_model.objects.exclude(email="").only("pk", "email").order_by("pk")
    last = 0
    while batch := list(rows.filter(pk__gt=last)[:BATCH]):
        for contact in batch:
            contact.email_key = email_key(contact.email)
        contact_model.objects.bulk_update(batch, ["email_key"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_contacts_verified_bouncing_placeholders"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="email_key",
            field=models.CharField(blank=True, db_index=True, default="", max_length=254),
        ),
        migrations.RunPython(fill_email_keys, migrations.RunPython.noop, elidable=True),
    ]

"""The built-in wording of every message, in English and German."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from netdesk.channels.services.template_defaults import DEFAULT_TEMPLATES


def install(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    template = apps.get_model("channels", "MessageTemplate")
    for (event, language), wording in DEFAULT_TEMPLATES.items():
        # A template an administrator already wrote is theirs.
        template.objects.get_or_create(
            event=event,
            language=language,
            defaults={"subject": wording.subject, "body": wording.body},
        )


class Migration(migrations.Migration):
    dependencies = [("channels", "0001_mail_channel")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]

from django.db import migrations

from rapport.trust import ledger


def install(apps, schema_editor):
    ledger.install(schema_editor.connection)


def remove(apps, schema_editor):
    ledger.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("interactions", "0006_participation_copies_set"),
        ("trust", "0002_history_ledger"),
    ]

    operations = [migrations.RunPython(install, remove)]

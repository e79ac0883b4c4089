from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_rate_counts"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("label", models.CharField(max_length=100, primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=32)),
            ],
        ),
    ]

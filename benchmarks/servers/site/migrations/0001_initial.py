from django.db import migrations, models


def seed(apps, schema_editor):
    Page = apps.get_model("servers_site", "Page")
    Page.objects.bulk_create(Page(slug=f"page-{i:02d}", title=f"Page {i}") for i in range(20))


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Page",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("slug", models.SlugField(unique=True)),
                ("title", models.CharField(max_length=100)),
            ],
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]

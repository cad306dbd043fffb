"""Paths become zero-padded (/0000001/0000004/), so that ordering by path is a
depth-first walk; task copies of the path follow. It lives here, not in
campaign, because it rewrites both apps' rows and dependencies run
campaign ← rectification."""

from django.db import migrations

WIDTH = 7


def padded(path):
    return "/" + "".join(f"{int(part):0{WIDTH}d}/" for part in path.strip("/").split("/") if part)


def unpadded(path):
    return "/" + "".join(f"{int(part)}/" for part in path.strip("/").split("/") if part)


def rewrite(apps, convert):
    Unit = apps.get_model("campaign", "Unit")
    Task = apps.get_model("rectification", "Task")
    for unit in Unit.objects.only("pk", "path").iterator():
        new = convert(unit.path)
        if new != unit.path:
            Unit.objects.filter(pk=unit.pk).update(path=new)
            Task.objects.filter(unit_id=unit.pk).update(unit_path=new)


def forwards(apps, schema_editor):
    rewrite(apps, padded)


def backwards(apps, schema_editor):
    rewrite(apps, unpadded)


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0001_initial"),
        ("rectification", "0002_alert_task_index_jobrun_latest"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

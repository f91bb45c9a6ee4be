"""Create the Learners, Instructors and Staff groups with their admin permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from accounts import roles


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, grants in [
        (roles.LEARNERS, {}),
        (roles.INSTRUCTORS, roles.INSTRUCTOR_PERMISSIONS),
        (roles.STAFF, roles.STAFF_PERMISSIONS),
    ]:
        group, _ = group_model.objects.get_or_create(name=name)
        for app_label, codenames in grants.items():
            group.permissions.add(
                *permission_model.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=[roles.LEARNERS, roles.INSTRUCTORS, roles.STAFF]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("courseware", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]

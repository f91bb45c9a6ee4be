"""Let Instructors and Staff grade in the admin: submissions, grades, dates and extensions.

Staff also get to edit the assessment content: assignments, rubrics and questions.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen here rather than read from accounts.roles, so later edits there cannot change history.
INSTRUCTORS = "Instructors"
STAFF = "Staff"
CODENAMES = [
    "view_submission",
    "change_submission",
    "view_grade",
    "change_grade",
    "view_historicalgrade",
    "view_assignmentschedule",
    "change_assignmentschedule",
    "view_extension",
    "change_extension",
    "view_assignment",
    "view_rubriccriterion",
    "view_rubriclevel",
    "view_checkattempt",
    "view_question",
    "view_choice",
]


STAFF_CODENAMES = CODENAMES + [
    f"{action}_{model}"
    for model in ("assignment", "rubriccriterion", "rubriclevel", "question", "choice", "extension")
    for action in ("add", "change", "delete")
] + ["view_historicalenrollment"]


def _permissions(apps, codenames=CODENAMES):
    # Permissions are normally created after all migrations; the group needs them now.
    app_config = apps.get_app_config("courseware")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    return apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="courseware", codename__in=codenames
    )


def grant(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    group_model.objects.get_or_create(name=INSTRUCTORS)[0].permissions.add(*_permissions(apps))
    group_model.objects.get_or_create(name=STAFF)[0].permissions.add(
        *_permissions(apps, STAFF_CODENAMES)
    )


def revoke(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    for name, codenames in ((INSTRUCTORS, CODENAMES), (STAFF, STAFF_CODENAMES)):
        group = group_model.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*_permissions(apps, codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("courseware", "0003_assessment"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

"""A GIN index for lesson full-text search, on PostgreSQL only (SQLite searches without one)."""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

from courseware.search import LESSON_SEARCH_VECTOR

INDEX_NAME = "lesson_search_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        lesson = apps.get_model("courseware", "Lesson")
        schema_editor.add_index(lesson, GinIndex(LESSON_SEARCH_VECTOR, name=INDEX_NAME))


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        lesson = apps.get_model("courseware", "Lesson")
        schema_editor.remove_index(lesson, GinIndex(LESSON_SEARCH_VECTOR, name=INDEX_NAME))


class Migration(migrations.Migration):
    dependencies = [("courseware", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]

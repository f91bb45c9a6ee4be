import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from .test_views import lesson_url, course_url, lessons_in_order, learner_midway, _unhashed_static_files  # noqa

def test_measure(client, learner_midway, course):
    for url in [lesson_url(course, lessons_in_order(course)[3].slug), course_url(course)]:
        with CaptureQueriesContext(connection) as q:
            client.get(url)
        print("\n", url, len(q))
        for x in q: print("   ", x["sql"][:200])

"""Two workers picking the same score post on PostgreSQL: the platform gets it once."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from courseware.lti import scores
from courseware.models import ScorePost

from .test_scores import grade, handed_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def launched(lms, course):
    from accounts.models import LtiIdentity
    from courseware.models import Enrollment

    from .conftest import assignment_url

    assignment = course.assignments.first()
    lms.launch(assignment_url(course, assignment.slug))
    learner = LtiIdentity.objects.get(subject="learner-1").user
    return assignment, Enrollment.objects.get(learner=learner)


def test_two_workers_sending_the_same_score_post_send_it_once(launched, instructor, lms):
    assignment, enrollment = launched
    grade(handed_in(assignment, enrollment), instructor, release=True)
    now = timezone.now()
    ScorePost.objects.update(status=ScorePost.Status.PENDING, next_attempt_at=now, scored_at=now)
    lms.platform.scores.clear()
    post_id = ScorePost.objects.get().pk
    outcomes, barrier = [], threading.Barrier(4)

    def worker():
        barrier.wait()
        try:
            outcomes.append(scores.send(post_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes).count("sent") == 1
    assert len(lms.platform.scores) == 1

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import roles
from accounts.models import User
from courseware.models import Cohort, Course, Lesson, Module


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Faker("name")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def learner_role(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get_or_create(name=roles.LEARNERS)[0])


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    course = factory.SubFactory(CourseFactory)
    name = factory.Sequence(lambda n: f"Cohort {n}")
    slug = factory.Sequence(lambda n: f"cohort-{n}")
    is_default = True


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Module {n}")
    slug = factory.Sequence(lambda n: f"module-{n}")
    position = factory.Sequence(int)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    module = factory.SubFactory(ModuleFactory)
    course = factory.SelfAttribute("module.course")
    title = factory.Sequence(lambda n: f"Lesson {n}")
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    position = factory.Sequence(int)
    body_source = "Some text about **soft power** and joint exercises."


# Assessment factories: models are named by label, leaving the model import line untouched.


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "courseware.Enrollment"

    learner = factory.SubFactory(UserFactory)
    cohort = factory.SubFactory(CohortFactory)
    course = factory.SelfAttribute("cohort.course")


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "courseware.Assignment"

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"assignment-{n}")
    title = factory.Sequence(lambda n: f"Assignment {n}")
    position = factory.Sequence(int)
    prompt_source = "Write about **soft power**."
    points_possible = 100


class RubricCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "courseware.RubricCriterion"

    assignment = factory.SubFactory(AssignmentFactory)
    title = factory.Sequence(lambda n: f"Criterion {n}")
    position = factory.Sequence(int)


class RubricLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "courseware.RubricLevel"

    criterion = factory.SubFactory(RubricCriterionFactory)
    title = factory.Sequence(lambda n: f"Level {n}")
    position = factory.Sequence(int)
    points = 10


class SubmissionFactory(factory.django.DjangoModelFactory):
    """A handed-in attempt; pass status="draft" and submitted_at=None for a draft."""

    class Meta:
        model = "courseware.Submission"

    assignment = factory.SubFactory(AssignmentFactory)
    learner = factory.SubFactory(UserFactory)
    cohort = factory.SubFactory(
        CohortFactory, course=factory.SelfAttribute("..assignment.course"), is_default=False
    )
    attempt = 1
    status = "submitted"
    body = "An answer about joint exercises and cultural exchange."
    word_count = factory.LazyAttribute(lambda submission: len(submission.body.split()))
    submitted_at = factory.LazyFunction(timezone.now)


class GradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "courseware.Grade"

    submission = factory.SubFactory(SubmissionFactory, status="graded")
    raw_score = 80
    score = factory.SelfAttribute("raw_score")
    points_possible = factory.SelfAttribute("submission.assignment.points_possible")


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "courseware.Question"

    lesson = factory.SubFactory(LessonFactory)
    prompt = factory.Sequence(lambda n: f"Question {n}?")
    explanation = "Because the lesson says so."


class CheckAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "courseware.CheckAttempt"

    learner = factory.SubFactory(UserFactory)
    lesson = factory.SubFactory(LessonFactory)
    answers = factory.LazyFunction(dict)
    score = 1
    max_score = 1
    percent = 100

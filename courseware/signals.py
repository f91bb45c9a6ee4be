"""Cache invalidation for the course row that every course page reads (config.rowcache)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from config.rowcache import forget

from .models import Course
from .models.course import course_cache_key


@receiver([post_save, post_delete], sender=Course)
def forget_course(sender, instance, **kwargs):
    forget([course_cache_key(instance.slug)])

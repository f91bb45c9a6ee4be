"""Forget the cached frame ancestors when a platform's origins or registration change."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from lti_tool.models import LtiRegistration

from ..models import FrameAncestor
from . import middleware


@receiver([post_save, post_delete], sender=FrameAncestor)
@receiver([post_save, post_delete], sender=LtiRegistration)
def forget_frame_ancestors(**kwargs):
    middleware.forget_frame_ancestors()

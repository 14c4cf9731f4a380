"""Keep role groups in place after migrate and users' groups in step with their memberships."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Membership
from .roles import ensure_role_groups, sync_user_groups


def create_role_groups(sender, **kwargs):
    ensure_role_groups()


@receiver([post_save, post_delete], sender=Membership)
def membership_changed(sender, instance, **kwargs):
    sync_user_groups(instance.user)

"""Factories for notification tests: staff users and their channel preferences."""

import factory
from django.contrib.auth import get_user_model

from notifications.models import ChannelPreference


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.gov.cn")
    is_active = True


class ChannelPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChannelPreference

    user = factory.SubFactory(UserFactory)
    email_enabled = True
    sms_enabled = False
    phone = ""
    language = "zh-hans"

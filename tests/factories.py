from __future__ import annotations

import factory
from django.contrib.auth.models import User

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class AssetFactory(factory.django.DjangoModelFactory):
    """An asset with its registration row in the handover log, as the service creates it."""

    class Meta:
        model = "ownership.Asset"
        skip_postgeneration_save = True

    kind = "process"
    name = factory.Sequence(lambda n: f"Asset {n:05d}")
    slug = factory.LazyAttribute(lambda a: a.name.lower().replace(" ", "-"))
    owner = factory.SubFactory(UserFactory)

    @factory.post_generation
    def registration(obj, create, extracted, **kwargs):
        if create:
            from roleplan.ownership.models import Handover

            Handover.objects.create(
                asset=obj, to_owner=obj.owner, by=obj.owner, reason="Registered"
            )

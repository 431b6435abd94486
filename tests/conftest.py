import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Tests render pages without running collectstatic first, so they use plain static storage
    # whatever the production setting; the manifest itself is checked by its own test.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rate limits live in the cache (Redis in CI): each test starts with none counted.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user(
        "staff", "staff@example.nhs.uk", "a-long-test-password", is_staff=True, is_superuser=True
    )
    client.force_login(user)
    return client

import importlib

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


@pytest.fixture(autouse=True)
def _first_privacy_notice(request):
    """Every real database holds the privacy notice that involvement's migrations publish, and
    the forms record its version. Transactional tests (the browser tests among them) empty every
    table after each test, that row included, so it is put back for them, as the migration
    made it."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    migration = importlib.import_module("involvement.migrations.0002_first_privacy_notice")
    migration.create_first_notice(apps)


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user(
        "staff", "staff@example.nhs.uk", "a-long-test-password", is_staff=True, is_superuser=True
    )
    client.force_login(user)
    return client

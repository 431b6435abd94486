import importlib
import os
import shutil
import socket
import subprocess
import time

import pytest

from tests.network import free_port


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
def quick_passwords(settings):
    """For tests that check many passwords: the real hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def immediate_tasks(settings):
    """Background tasks (the emails) run as they are queued, whatever TASKS the environment
    sets, and the links in emails point at a known site."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = "https://involve.example.nhs.uk"


@pytest.fixture
def send_by_smtp(settings):
    """Call with a port: email goes through Django's SMTP backend to a plain SMTP server of the
    test's own on that loopback port."""

    def to(port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 10

    return to


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user(
        "staff", "staff@example.nhs.uk", "a-long-test-password", is_staff=True, is_superuser=True
    )
    client.force_login(user)
    return client


@pytest.fixture
def closed_port():
    return free_port()


class OwnRedis:
    """A redis-server of the test's own, on its own port, that the test can stop and start:
    the machine's Redis is shared with the rest of the suite and is never stopped."""

    def __init__(self, directory):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory),
             "--maxmemory", "32mb", "--maxmemory-policy", "allkeys-lru"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def cache_settings(self):
        return {
            "default": {
                "BACKEND": "involvement.cache.ResilientRedisCache",
                "LOCATION": self.url,
                "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
            }
        }


@pytest.fixture
def own_redis(tmp_path, settings):
    """The default cache on a Redis of the test's own, started, and stopped afterwards."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Redis fault tests, but redis-server is missing.")
        pytest.skip("needs redis-server")
    redis = OwnRedis(tmp_path)
    redis.start()
    settings.CACHES = redis.cache_settings()
    # A test that stopped it may be followed by one that needs the circuit closed again.
    settings.CACHE_RETRY_SECONDS = 1
    yield redis
    redis.stop()


# The staff groups and their permissions as the migrations made them, read once the test
# database is made: transactional tests empty every table (groups included), and the browser
# tests of the admin need the groups exactly as staff have them, whichever migrations gave
# which permission. (serialized_rollback would do it for the whole database, but it did not
# survive the other transactional tests in one run.)
_STAFF_GROUPS = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.contrib.auth.models import Group
    from django.core import serializers

    with django_db_blocker.unblock():
        _STAFF_GROUPS["json"] = serializers.serialize(
            "json", Group.objects.all(), use_natural_foreign_keys=True
        )


@pytest.fixture
def staff_groups(transactional_db):
    """The "Involvement team" and "Programme lead" groups, as the migrations made them."""
    from django.contrib.auth.models import Group
    from django.core import serializers

    if not Group.objects.exists():
        for group in serializers.deserialize("json", _STAFF_GROUPS["json"]):
            group.save()
    return Group.objects.all()


@pytest.fixture(autouse=True)
def _receipts_in_tmp(settings, tmp_path):
    """Receipts uploaded in tests go to a folder of their own, never the project's private/."""
    settings.RECEIPTS_ROOT = tmp_path / "receipts"
    return settings.RECEIPTS_ROOT

"""`manage.py check --deploy` with production's environment, and refusing to start without it.

The settings are read when the settings module is imported, so each case runs manage.py in a
subprocess with exactly the environment production would give it.
"""

import pytest

from tests.involvement.test_security_headers import BASE_DIR, run_production

MESSAGE_SECRET_KEY = "Set SECRET_KEY to a random value of at least 50 characters."
MESSAGE_ALLOWED_HOSTS = "Set ALLOWED_HOSTS to the host names the portal answers on."


def test_the_deploy_check_is_clean_with_production_settings(tmp_path):
    result = run_production(
        tmp_path, ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output and "security.W" not in output, output


def test_the_deploy_check_would_fail_on_a_warning(tmp_path):
    """The check above can fail: turn HSTS off and it does, naming the warning."""
    result = run_production(
        tmp_path, ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECURE_SSL_REDIRECT="false",
    )

    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"SECRET_KEY": ""}, MESSAGE_SECRET_KEY),
        ({"SECRET_KEY": "too-short"}, MESSAGE_SECRET_KEY),
        ({"SECRET_KEY": "laptop-only-insecure-key-do-not-deploy" + "x" * 20}, MESSAGE_SECRET_KEY),
        ({"ALLOWED_HOSTS": ""}, MESSAGE_ALLOWED_HOSTS),
    ],
    ids=["no-secret-key", "short-secret-key", "laptop-secret-key", "no-allowed-hosts"],
)
def test_production_refuses_to_start_without_its_settings(tmp_path, overrides, message):
    result = run_production(tmp_path, ["manage.py", "check"], **overrides)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_with_no_secret_key_at_all_the_wsgi_app_refuses_to_start(tmp_path):
    # As gunicorn would load it, with SECRET_KEY absent from the environment altogether.
    dotenv = BASE_DIR / ".env"
    if dotenv.exists() and "SECRET_KEY" in dotenv.read_text():
        pytest.skip("this checkout's .env sets SECRET_KEY")
    result = run_production(tmp_path, ["-c", "import involvement.wsgi"], SECRET_KEY=None)

    assert result.returncode != 0
    assert MESSAGE_SECRET_KEY in result.stderr


def test_check_and_migrate_work_before_collectstatic(tmp_path):
    """Production's static storage reads the manifest collectstatic writes; loading the URLs
    must not need it, or `check` and `migrate` could not run before `collectstatic`."""
    static_root = tmp_path / "static-not-collected-yet"
    static_root.mkdir()
    environment = {
        "STATICFILES_BACKEND": None,  # production's manifest storage
        "STATIC_ROOT": str(static_root),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'before-collectstatic.sqlite3'}",
    }

    check = run_production(tmp_path, ["manage.py", "check"], **environment)
    migrate = run_production(tmp_path, ["manage.py", "migrate", "--no-input"], **environment)

    assert check.returncode == 0, check.stderr
    assert migrate.returncode == 0, migrate.stderr
    assert not any(static_root.iterdir())

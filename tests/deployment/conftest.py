"""The fault drill needs nginx, openssl, redis-server and PostgreSQL's server programs on the
machine. Where they are missing the drill is skipped, with a message saying what is missing;
in CI (CI=true) a missing one is a failure, never a silent skip (.ci/run installs them)."""

import os

import pytest

from tests.deployment.stack import missing_tools


def pytest_collection_modifyitems(config, items):
    drill = [item for item in items if "tests/deployment/" in str(item.fspath)]
    if not drill:
        return
    missing = missing_tools()
    if not missing:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI must run the fault drill, but it needs: {', '.join(missing)}.")
    skip = pytest.mark.skip(reason=f"the fault drill needs {', '.join(missing)}")
    for item in drill:
        item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # The drill's fixture keeps its logs when the test failed: it needs to know.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)

"""Loopback ports for the servers tests start of their own (Redis, SMTP, nginx, gunicorn)."""

import socket


def free_port():
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

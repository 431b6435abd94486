from django.apps import AppConfig


class InvolvementConfig(AppConfig):
    name = "involvement"
    verbose_name = "Involvement portal"

    def ready(self):
        # Connect the sign-in signal that starts a staff session's idle timer, and the security
        # log's receivers for sign-in, failed sign-in and lock-out.
        from . import middleware, security  # noqa: F401

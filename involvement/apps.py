from django.apps import AppConfig


class InvolvementConfig(AppConfig):
    name = "involvement"
    verbose_name = "Involvement portal"

    def ready(self):
        # Connects the sign-in signal that starts a staff session's idle timer.
        from . import middleware  # noqa: F401

"""Error reports (the emails to ADMINS, Sentry-style logs) without what people typed.

Django's own filter hides the POST values of a view marked `@sensitive_post_parameters()` but
still shows every local variable of every frame, and a form's `cleaned_data`, a half-saved
expression of interest or a subject access request's address are local variables somewhere in
any traceback from those views. For a request so marked (the public forms, and the admin's
expression and personal data pages) this filter hides them all: the report keeps the file,
line and code of each frame, which is what finding the bug needs.
"""

from django.views.debug import SafeExceptionReporterFilter


class PersonalDataReporterFilter(SafeExceptionReporterFilter):
    def get_traceback_frame_variables(self, request, tb_frame):
        if self.is_active(request) and getattr(request, "sensitive_post_parameters", None):
            return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
        return super().get_traceback_frame_variables(request, tb_frame)

"""The production static files storage: whitenoise's compressed manifest storage, which also
gives hashed names to the files a JavaScript module imports and to NHS.UK frontend's icons.

Django's manifest storage rewrites `url()` in CSS but, by default, not `import` in JavaScript
modules, and it leaves absolute URLs outside STATIC_URL alone. NHS.UK frontend's stylesheet
asks for its icons at `/assets/images/...` (which the portal redirects to the static copy), and
a module that imports another (portal.js did, before it was one bundle) would name it by its
plain name: without this, those files are served under their plain names with a 60-second
cache instead of a year.
"""

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

NHSUK_ASSETS = "/assets/"


class _Groups:
    """Stands in for a regex match whose `url` group has been rewritten."""

    def __init__(self, groups):
        self._groups = groups

    def groupdict(self):
        return dict(self._groups)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True

    def url_converter(self, name, hashed_files, template=None):
        convert = super().url_converter(name, hashed_files, template)

        def converter(matchobj):
            groups = matchobj.groupdict()
            if groups.get("url", "").startswith(NHSUK_ASSETS):
                groups["url"] = f"{settings.STATIC_URL}nhsuk{groups['url']}"
                return convert(_Groups(groups))
            return convert(matchobj)

        return converter

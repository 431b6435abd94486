from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView

from opportunities.sitemaps import sitemaps

from . import views

admin.site.site_header = "Involvement portal"
admin.site.site_title = "Involvement portal admin"
admin.site.index_title = "Expressions of interest and opportunities"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("privacy/", views.privacy, name="privacy"),
    path("privacy/<slug:version>/", views.privacy_version, name="privacy_version"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots, name="robots"),
    path("sitemap.xml", require_safe(sitemap), {"sitemaps": sitemaps}, name="sitemap"),
    # NHS.UK frontend's stylesheet asks for its icons at /assets/...; they are served as static
    # files under nhsuk/assets/.
    re_path(
        r"^assets/(?P<path>[\w./-]+)$",
        RedirectView.as_view(url=static("nhsuk/assets/") + "%(path)s", permanent=False),
    ),
    path(
        "favicon.ico",
        RedirectView.as_view(url=static("nhsuk/assets/images/favicon.ico"), permanent=False),
    ),
    path("", include("applications.urls")),
    path("", include("opportunities.urls")),
]

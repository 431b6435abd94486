from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.decorators.http import require_safe

from opportunities.sitemaps import sitemaps

from . import views

# The database not answering is a 503, not a 500 (views.server_error).
handler500 = "involvement.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("privacy/", views.privacy, name="privacy"),
    path("privacy/<slug:version>/", views.privacy_version, name="privacy_version"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots, name="robots"),
    path("sitemap.xml", require_safe(sitemap), {"sitemaps": sitemaps}, name="sitemap"),
    re_path(r"^assets/(?P<path>[\w./-]+)$", views.nhsuk_asset),
    path("favicon.ico", views.favicon),
    path("", include("applications.urls")),
    path("", include("opportunities.urls")),
]

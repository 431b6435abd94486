from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from opportunities.sitemaps import sitemaps

from . import views

admin.site.site_header = "Involvement portal"
admin.site.site_title = "Involvement portal admin"
admin.site.index_title = "Expressions of interest and opportunities"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("privacy/", views.privacy, name="privacy"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots, name="robots"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("", include("opportunities.urls")),
]

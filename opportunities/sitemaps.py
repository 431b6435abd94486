from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import ImpactRecord, Opportunity


class PageSitemap(Sitemap):
    """The public pages that are not opportunities. Browser tests scan every page listed here."""

    def items(self):
        return [
            "opportunities:home",
            "opportunities:list",
            "opportunities:events",
            "opportunities:lay_partners",
            "opportunities:glossary",
            "applications:alerts",
            "opportunities:impact_list",
            "privacy",
            "accessibility",
        ]

    def location(self, item):
        return reverse(item)


class OpportunitySitemap(Sitemap):
    def items(self):
        return Opportunity.objects.public().order_by("pk")

    def lastmod(self, opportunity):
        return opportunity.updated_at


class ImpactSitemap(Sitemap):
    """Published "you said, we did" records."""

    def items(self):
        return ImpactRecord.objects.published().order_by("pk")

    def lastmod(self, record):
        return record.updated_at


sitemaps = {
    "pages": PageSitemap, "opportunities": OpportunitySitemap, "impact": ImpactSitemap,
}

"""The Atom feed of "you said, we did": each published record, and each update to one, as it
happens, so people (and the trust's own news pages) can follow what involvement changes."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from .impact import ImpactRecord, ImpactUpdate

LATEST = 30


@dataclass
class Entry:
    title: str
    text: str
    link: str
    at: datetime
    guid: str


class ImpactFeed(Feed):
    feed_type = Atom1Feed
    description = "What people's involvement has changed: new records and updates."

    def title(self):
        return f"{settings.TRUST_NAME}: what people's involvement has changed"

    def link(self):
        return reverse("opportunities:impact_list")

    def subtitle(self):
        return self.description

    def items(self):
        records = ImpactRecord.objects.published().order_by("-published_at")[:LATEST]
        updates = (
            ImpactUpdate.objects.filter(
                published_at__isnull=False, record__published_at__isnull=False
            )
            .select_related("record")
            .order_by("-published_at")[:LATEST]
        )
        entries = [
            Entry(
                title=record.title,
                text=f"You said: {record.you_said}\n\nWe did: {record.we_did or 'Planned'}",
                link=record.get_absolute_url(),
                at=record.published_at,
                guid=f"impact-record-{record.pk}",
            )
            for record in records
        ] + [
            Entry(
                title=f"Update: {update.record.title}",
                text=update.text,
                link=f"{update.record.get_absolute_url()}#update-{update.pk}",
                at=update.published_at,
                guid=f"impact-update-{update.pk}",
            )
            for update in updates
        ]
        return sorted(entries, key=lambda entry: entry.at, reverse=True)[:LATEST]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.text

    def item_link(self, item):
        return item.link

    def item_pubdate(self, item):
        return item.at

    def item_updateddate(self, item):
        return item.at

    def item_guid(self, item):
        return item.guid

    item_guid_is_permalink = False

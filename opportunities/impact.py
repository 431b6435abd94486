""""You said, we did": what people's involvement changed.

An ImpactRecord is one thing people raised ("you said") and what the trust did or decided about
it ("we did"), or why it could not; it comes from a programme, and from the opportunities and
meetings where it was raised. Its updates (ImpactUpdate) are its timeline: each dated, saying
what changed. Records are drafts until staff publish them, like opportunities; only published
records and their updates show on the public pages and in the feed.

Lay partners are named on a record only with their recorded consent (NamedLayPartner): without
it, a record says who was involved by group ("the patient communications reference group").

When a published record that names opportunities is published or gets an update, the lay
partners and group members of those opportunities are told, by email. Who they are is known
only to the applications app, which this app never imports: so this module sends the signal
`impact_shared`, and applications (ApplicationsConfig.ready) answers it by queuing the emails.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max, Q
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from involvement.page_cache import forget_public_pages

# Sent after a published record is published or updated: `record` and `update` (the new
# ImpactUpdate, or None when the record itself was just published).
impact_shared = Signal()


class ImpactRecordQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False)

    def newest_first(self):
        """By when it last changed for the public: its latest update, or when it was published."""
        return self.annotate(
            last_changed=Coalesce(Max("updates__published_at"), "published_at")
        ).order_by("-last_changed", "-pk")

    def about(self, opportunity):
        return self.filter(opportunities=opportunity)

    def for_staff(self, user):
        """Programme leads edit their own programmes' records; the team edits all."""
        if user.is_superuser or user.has_perm("opportunities.change_all_impact_records"):
            return self.all()
        return self.filter(programme__leads=user)

    def search(self, text):
        query = Q()
        for word in text.split():
            query &= (
                Q(title__icontains=word) | Q(you_said__icontains=word)
                | Q(we_did__icontains=word) | Q(updates__text__icontains=word)
            )
        return self.filter(query).distinct()


class ImpactRecord(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        NOT_POSSIBLE = "not_possible", "Not possible"

        @property
        def colour(self):
            """The NHS.UK tag colour; the status is always written in the tag too."""
            return {
                "planned": "grey", "in_progress": "blue", "done": "green",
                "not_possible": "orange",
            }[self.value]

    title = models.CharField(
        max_length=200, help_text="What changed, in a few plain words: “Clearer letters”."
    )
    slug = models.SlugField(max_length=200, unique=True)
    programme = models.ForeignKey(
        "opportunities.Programme", on_delete=models.PROTECT, related_name="impact_records"
    )
    opportunities = models.ManyToManyField(
        "opportunities.Opportunity", blank=True, related_name="impact_records",
        help_text="Where people raised it. Their lay partners and group members are told when "
        "this is published or updated.",
    )
    meetings = models.ManyToManyField(
        "opportunities.Meeting", blank=True, related_name="impact_records"
    )
    you_said = models.TextField(
        "you said", help_text="What people raised, in their words where you can."
    )
    we_did = models.TextField(
        "we did", blank=True,
        help_text="What the trust did or decided. Leave blank while it is only planned.",
    )
    not_possible_reason = models.TextField(
        "why it was not possible", blank=True,
        help_text="Needed when the status is “Not possible”: say why, honestly.",
    )
    who_was_involved = models.CharField(
        max_length=300, blank=True,
        help_text="By group: “the patient communications reference group”. Name lay partners "
        "below, only if they agreed.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    started_on = models.DateField(null=True, blank=True)
    finished_on = models.DateField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ImpactRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = "impact record"
        permissions = [
            ("change_all_impact_records", "Can change every programme's impact records"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("opportunities:impact_detail", args=[self.slug])

    @property
    def is_published(self):
        return self.published_at is not None

    @property
    def status_colour(self):
        return self.Status(self.status).colour

    def clean(self):
        errors = {}
        if self.status == self.Status.NOT_POSSIBLE and not self.not_possible_reason.strip():
            errors["not_possible_reason"] = (
                "Say why it was not possible: people who raised it deserve the reason."
            )
        if self.status == self.Status.DONE and not self.we_did.strip():
            errors["we_did"] = "Say what the trust did, since it is done."
        if self.started_on and self.finished_on and self.finished_on < self.started_on:
            errors["finished_on"] = "The date it finished must be on or after the date it started."
        if errors:
            raise ValidationError(errors)

    def publish(self):
        """Show it to the public, and tell the people involved (once: publishing twice does
        nothing the second time)."""
        with transaction.atomic():
            updated = type(self).objects.filter(pk=self.pk, published_at__isnull=True).update(
                published_at=timezone.now()
            )
            self.refresh_from_db(fields=["published_at"])
            if updated:
                # update() sends no signals: the stored public pages must be told.
                transaction.on_commit(forget_public_pages)
                transaction.on_commit(
                    lambda: impact_shared.send(sender=type(self), record=self, update=None)
                )
        return bool(updated)

    def unpublish(self):
        type(self).objects.filter(pk=self.pk).update(published_at=None)
        self.published_at = None
        forget_public_pages()

    def public_updates(self):
        return self.updates.filter(published_at__isnull=False).order_by("on", "pk")

    def named_lay_partners(self):
        """Only those who agreed to be named."""
        return [partner for partner in self.lay_partners.all() if partner.agreed]


class ImpactUpdate(models.Model):
    """One dated step on a record's timeline."""

    record = models.ForeignKey(ImpactRecord, on_delete=models.CASCADE, related_name="updates")
    on = models.DateField("date", default=timezone.localdate)
    text = models.TextField("what changed")
    status = models.CharField(
        "status after this update", max_length=20, choices=ImpactRecord.Status.choices,
        blank=True, help_text="Leave blank if the status did not change.",
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "pk"]
        verbose_name = "update"

    def __str__(self):
        return f"{self.record}: {self.on:%d %b %Y}"

    def share(self):
        """Publish this update with its record (a record's updates show once the record is
        published), moving the record to the update's status, and tell the people involved,
        once."""
        with transaction.atomic():
            updated = type(self).objects.filter(pk=self.pk, published_at__isnull=True).update(
                published_at=timezone.now()
            )
            if self.status:
                ImpactRecord.objects.filter(pk=self.record_id).update(status=self.status)
            record = self.record
            if updated or self.status:
                transaction.on_commit(forget_public_pages)
            if updated and record.is_published:
                transaction.on_commit(
                    lambda: impact_shared.send(sender=ImpactRecord, record=record, update=self)
                )
        return bool(updated)


class NamedLayPartner(models.Model):
    """A lay partner named on a record, which needs their agreement, recorded by whom and when."""

    record = models.ForeignKey(
        ImpactRecord, on_delete=models.CASCADE, related_name="lay_partners"
    )
    name = models.CharField("name as they want it shown", max_length=200)
    agreed = models.BooleanField(
        "they agreed to be named", default=False,
        help_text="Only names they agreed to show on the public page.",
    )
    how_they_agreed = models.CharField(
        max_length=200, blank=True, help_text="“By email on 3 March”, “At the meeting, asked”."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "named lay partner"

    def __str__(self):
        return self.name

    def clean(self):
        if self.agreed and not self.how_they_agreed.strip():
            raise ValidationError(
                {"how_they_agreed": "Say how they agreed to be named, so it is on record."}
            )

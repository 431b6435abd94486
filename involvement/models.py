"""The privacy notice: versioned, written by staff, and fixed once published.

People agree to the privacy notice when they send an expression of interest or register for an
event, and each expression records the version they agreed to
(`ExpressionOfInterest.privacy_notice_version`). A published version is therefore the record of
exactly what they read: it is never edited or deleted. A change is made as a new version: a
draft copied from the current one, previewed, then published. The newest published version is
the one at /privacy/; earlier ones stay readable at /privacy/<version>/.

The lawful basis is a field of its own that no published version may leave empty. How long
personal details are kept is not typed by staff at all: the page states the periods from the
settings the retention job uses (RETENTION_ENDED_MONTHS, RETENTION_LAY_PARTNER_YEARS), so the
notice cannot disagree with what is done. Each version also records the periods in force when
it was published, so an earlier version still shows what it said then.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from . import plain_text


class PublishedNoticeError(Exception):
    """A published privacy notice was to be changed or deleted: people agreed to it as it is."""


class PrivacyNoticeQuerySet(models.QuerySet):
    def published(self):
        """Versions the public can read: published, at a time that has come."""
        return self.filter(published_at__isnull=False, published_at__lte=timezone.now())

    def newest_first(self):
        return self.order_by(F("published_at").desc(nulls_last=True), "-pk")

    def current(self):
        """The privacy notice in force now: the latest published one (None only in a database
        made without involvement's migrations, which publish the first one)."""
        return self.published().newest_first().first()

    def current_version(self):
        """Just the current notice's version, for recording with what someone sends."""
        return self.published().newest_first().values_list("version", flat=True).first()

    def unused_version(self):
        """A version name for a new draft: this month's ("2027-03"), or "2027-03-2" and so on
        if that is taken. Staff may change it while the version is a draft."""
        month = timezone.localdate().strftime("%Y-%m")
        taken = set(self.filter(version__startswith=month).values_list("version", flat=True))
        version, number = month, 1
        while version in taken:
            number += 1
            version = f"{month}-{number}"
        return version


class PrivacyNotice(models.Model):
    version = models.SlugField(
        max_length=20,  # the length of ExpressionOfInterest.privacy_notice_version
        unique=True,
        help_text=(
            "A short name for this version, shown on the page and recorded with each expression "
            "of interest, for example 2027-03. Letters, numbers and hyphens only."
        ),
        error_messages={"unique": "There is already a version with this name. Choose another."},
    )
    summary_of_changes = models.TextField(
        "what changed",
        blank=True,
        help_text=(
            "In plain English, what is different from the version before. Shown on the page "
            "under the version number."
        ),
    )
    lawful_basis = models.TextField(
        "our lawful basis",
        help_text=(
            "Why the law allows us to use people's information (for example UK GDPR Article "
            "6(1)(e), public task). Shown under the heading “Our lawful basis”."
        ),
    )
    body = models.TextField(
        "the rest of the notice",
        help_text=(
            "Who we are, what we collect and why, who can see it and people's rights. Leave a "
            "blank line between paragraphs. Start a line with “## ” for a heading and with "
            "“- ” for a bullet point. Email addresses become links. How long we keep "
            "information is added by the website from its retention settings: do not write "
            "it here."
        ),
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        editable=False, related_name="+",
    )
    # The retention periods the page stated when this version was published (see above).
    retention_ended_months = models.PositiveSmallIntegerField(
        null=True, blank=True, editable=False
    )
    retention_lay_partner_years = models.PositiveSmallIntegerField(
        null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        editable=False, related_name="+",
    )

    objects = PrivacyNoticeQuerySet.as_manager()

    class Meta:
        # Drafts first: they are what staff are working on.
        ordering = [F("published_at").desc(nulls_first=True), "-pk"]
        constraints = [
            # Said in the database too, so nothing (the admin, a script, a migration) can
            # publish a notice without a lawful basis, a body, or the retention it states.
            models.CheckConstraint(
                condition=Q(published_at__isnull=True)
                | (
                    ~Q(lawful_basis="")
                    & ~Q(body="")
                    & Q(retention_ended_months__isnull=False)
                    & Q(retention_lay_partner_years__isnull=False)
                ),
                name="privacy_notice_published_is_complete",
            ),
        ]

    def __str__(self):
        return f"Version {self.version}" + ("" if self.is_published else " (draft)")

    def save(self, *args, **kwargs):
        with transaction.atomic():
            if self.pk is not None and self._stored_is_published(lock=True):
                raise PublishedNoticeError(
                    f"Version {self.version} is published: start a new version from it instead."
                )
            super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("privacy_version", args=[self.version])

    def delete(self, *args, **kwargs):
        if self.pk is not None and self._stored_is_published(lock=False):
            raise PublishedNoticeError(f"Version {self.version} is published: it is kept.")
        return super().delete(*args, **kwargs)

    @property
    def is_published(self):
        return self.published_at is not None

    def clean(self):
        if not self.lawful_basis.strip():
            raise ValidationError({"lawful_basis": "Enter the lawful basis."})
        if not self.body.strip():
            raise ValidationError({"body": "Enter the text of the notice."})

    def _stored_is_published(self, *, lock):
        # The stored row decides, not this instance: it may have been published since it was
        # read. The lock makes an edit wait for a publish that is under way (and the reverse).
        rows = type(self).objects.filter(pk=self.pk)
        if lock:
            rows = rows.select_for_update()
        return rows.filter(published_at__isnull=False).exists()

    def publish(self, *, by):
        """Make this draft the privacy notice from now on; people who send anything after this
        record its version. Raises ValidationError if it is incomplete."""
        self.full_clean()
        self.published_at = timezone.now()
        self.published_by = by
        self.retention_ended_months = settings.RETENTION_ENDED_MONTHS
        self.retention_lay_partner_years = settings.RETENTION_LAY_PARTNER_YEARS
        self.save()  # refused if someone else published it first

    def start_new_version(self, *, by):
        """A new draft with this version's text, for staff to change and publish."""
        return PrivacyNotice.objects.create(
            version=PrivacyNotice.objects.unused_version(),
            lawful_basis=self.lawful_basis,
            body=self.body,
            created_by=by,
        )

    def retention(self, *, current):
        """The retention periods this version states, as (months, years): what the retention
        job does now for the current version and drafts, and what it said when it was
        published for an earlier one."""
        if current or not self.is_published:
            return settings.RETENTION_ENDED_MONTHS, settings.RETENTION_LAY_PARTNER_YEARS
        return self.retention_ended_months, self.retention_lay_partner_years

    def when_replaced(self):
        """When the next version was published, or None if this is the current one."""
        return (
            PrivacyNotice.objects.published()
            .filter(published_at__gt=self.published_at)
            .order_by("published_at")
            .values_list("published_at", flat=True)
            .first()
        )

    def earlier_versions(self):
        """The versions published before this one, newest first, each with the date it was
        replaced (`replaced_at`)."""
        earlier = list(
            PrivacyNotice.objects.published()
            .filter(published_at__lt=self.published_at)
            .newest_first()
            .only("version", "published_at")
        )
        replaced = self.published_at
        for notice in earlier:
            notice.replaced_at = replaced
            replaced = notice.published_at
        return earlier

    def lawful_basis_html(self):
        return plain_text.to_html(self.lawful_basis)

    def body_html(self):
        return plain_text.to_html(self.body)

"""A lay partner's own page (/my-involvement/), reached by a sign-in link we email them.

No password: a person who has joined (an expression of interest at "joined", not anonymised)
asks for a link on /my-involvement/sign-in/, and the link signs them in once, within
MY_INVOLVEMENT_LINK_MINUTES. The page that asks always says the same, whether or not we know
the address, so it tells nobody who is a lay partner.

The link's token is never stored: the database keeps its SHA-256 (`token_hash`), so a copy of
the database signs nobody in. The token is an HMAC of the record's id and creation time under
SECRET_KEY, so the email task, which is given only the record's id, can rebuild it.

Signed in, the session holds only their email address (MY_INVOLVEMENT_SESSION_KEY), for
MY_INVOLVEMENT_SESSION_HOURS: they are not staff, and Django's User model is not for them.
"""

import hashlib

from django.conf import settings
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

SESSION_KEY = "my_involvement_email"


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


class SignInLinkQuerySet(models.QuerySet):
    def to_delete(self, now):
        """Used or expired for a day: nothing in them is worth keeping longer."""
        return self.filter(created_at__lt=now - timezone.timedelta(days=1))

    def for_address(self, email):
        if not email:
            return self.none()
        return self.filter(email__iexact=email)


class SignInLink(models.Model):
    """One sign-in link emailed to a lay partner: when, to whom, and whether it was used."""

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    email = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)
    # The form's one-off key: the same form sent twice (a double click) sends one link.
    submission_key = models.UUIDField(null=True, unique=True, editable=False)

    objects = SignInLinkQuerySet.as_manager()

    class Meta:
        verbose_name = "sign-in link to a lay partner's page"

    def __str__(self):
        return f"Sign-in link {self.pk}"

    @classmethod
    def issue(cls, email, submission_key=None):
        """A new link for this address (the caller checks they may have one), or None when
        this form was sent before and its link made then."""
        if submission_key and cls.objects.filter(submission_key=submission_key).exists():
            return None
        with transaction.atomic():
            link = cls.objects.create(
                email=email, token_hash=f"pending-{timezone.now()}", submission_key=submission_key
            )
            link.token_hash = _hash(link.token())
            link.save(update_fields=["token_hash"])
        return link

    def token(self):
        return salted_hmac(
            "applications.SignInLink", f"{self.pk}:{self.created_at.isoformat()}",
            algorithm="sha256",
        ).hexdigest()

    def url(self):
        return settings.SITE_URL + reverse("applications:my_involvement_link", args=[self.token()])

    @property
    def expires_at(self):
        return self.created_at + timezone.timedelta(minutes=settings.MY_INVOLVEMENT_LINK_MINUTES)

    @classmethod
    def find(cls, token, now=None):
        """("ok" | "used" | "expired" | "unknown", the link)."""
        now = now or timezone.now()
        link = cls.objects.filter(token_hash=_hash(token)).first()
        if link is None:
            return "unknown", None
        if link.used_at:
            return "used", link
        if link.expires_at <= now:
            return "expired", link
        return "ok", link

    def use(self, now=None):
        """Mark it used, once: False if another request used it first."""
        now = now or timezone.now()
        return bool(
            SignInLink.objects.filter(pk=self.pk, used_at__isnull=True).update(used_at=now)
        )

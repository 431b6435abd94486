"""Alerts: people who asked to be told by email when new opportunities open.

A person leaves an email address on `/alerts/`, and may choose kinds of opportunity and
programmes (choosing none of either means all of them). Nothing is sent to them but the email
confirming the address (double opt-in) until they follow its link and press the button: an
email scanner following the link confirms nothing. An unconfirmed sign-up is deleted by the
retention job once its link has expired (ALERT_CONFIRMATION_DAYS).

Once confirmed, `manage.py send_opportunity_alerts` (a timer, deploy/systemd) queues ONE email
per person listing every opportunity matching their choices that opened (Opportunity.opened_at)
since their last alert. `sent_up_to` records how far each person has been considered, and is
moved on with a compare-and-set, so running the command twice, or two at once, never sends the
same opportunity twice.

One row per address, whatever its capitals. Signing up again with an address already
confirmed changes nothing: that address is sent a link to its own page instead, so nobody can
change someone else's choices, and the page after signing up says the same whoever's address
it is. Unsubscribing deletes the row at once: nothing is kept about someone who said stop.
"""

import datetime
import secrets

from django.conf import settings
from django.core import checks, signing
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from opportunities.models import Opportunity, Programme

CONFIRM_SALT = "applications.alert-confirm"
MANAGE_SALT = "applications.alert-manage"


def confirmation_max_age():
    """How long a confirmation link works, and an unconfirmed sign-up is kept."""
    return datetime.timedelta(days=settings.ALERT_CONFIRMATION_DAYS)


def check_unsubscribe_address_is_https(app_configs, **kwargs):
    """`manage.py check --deploy`: the alerts' one-click unsubscribe address is built from
    SITE_URL, and mail programs only offer one click (RFC 8058) for an https address."""
    if settings.SITE_URL.startswith("https://"):
        return []
    return [checks.Warning(
        "SITE_URL does not start with https://, so the one-click unsubscribe address in the "
        "alerts about new opportunities (List-Unsubscribe) is not https, and mail programs "
        "will not offer it.",
        hint="Set SITE_URL to the portal's public https address.",
        id="applications.W001",
    )]


def new_alert_key():
    """The secret every link for one sign-up is made from (256 bits)."""
    return secrets.token_urlsafe(32)


class AlertSubscriptionQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def unconfirmed(self):
        return self.filter(confirmed_at__isnull=True)

    def unconfirmed_expired(self, now=None):
        """Sign-ups whose confirmation link has expired without being used: the retention job
        deletes them."""
        cutoff = (now or timezone.now()) - confirmation_max_age()
        return self.unconfirmed().filter(requested_at__lte=cutoff)

    def for_address(self, email):
        return self.filter(email__iexact=email.strip()) if email.strip() else self.none()

    def counts(self):
        """How many are confirmed and how many wait for confirmation, in one query."""
        return self.aggregate(
            confirmed=models.Count("pk", filter=models.Q(confirmed_at__isnull=False)),
            unconfirmed=models.Count("pk", filter=models.Q(confirmed_at__isnull=True)),
        )

    def sign_up(self, email, *, kinds, programmes, submission_key=None):
        """Someone asked for alerts at `email`. Returns the sign-up and the email it is sent
        ("confirm" or "already_signed_up"), or None for the same form sent again (a double
        click), which sends nothing more. The email is queued once the transaction commits.

        A new address, or one still unconfirmed, gets these choices and a confirmation link;
        one already confirmed keeps its choices and is sent a link to its own page.
        """
        from .tasks import queue_alert_sign_up_email  # tasks imports this module

        email = email.strip()
        for attempt in range(2):
            try:
                with transaction.atomic():
                    existing = self.select_for_update().for_address(email).first()
                    if existing is not None and submission_key is not None and (
                        existing.submission_key == submission_key
                    ):
                        return existing, None
                    if existing is not None and existing.is_confirmed:
                        subscription, kind = existing, "already_signed_up"
                    else:
                        subscription = existing or self.model(email=email)
                        subscription.kinds = list(kinds)
                        subscription.requested_at = timezone.now()
                        kind = "confirm"
                    subscription.submission_key = submission_key
                    subscription.save()
                    if kind == "confirm":
                        subscription.programmes.set(programmes)
                    queue_alert_sign_up_email(subscription, kind)
                    return subscription, kind
            except IntegrityError:
                # Two sign-ups for a new address raced and the other made its row: use that.
                if attempt:
                    raise
        raise AssertionError("unreachable")


class AlertSubscription(models.Model):
    """One email address that asked to hear about new opportunities, and its choices."""

    email = models.EmailField("email address")
    # Opportunity.Kind values; empty means every kind.
    kinds = models.JSONField("kinds of opportunity", default=list, blank=True)
    # Empty means every programme. (A programme deleted from under someone's only choice
    # leaves them with every programme; only a programme with no opportunities can be deleted.)
    programmes = models.ManyToManyField(Programme, blank=True, related_name="+")
    key = models.CharField(max_length=64, unique=True, default=new_alert_key, editable=False)
    # The last form sent: the same form sent twice sends one email.
    submission_key = models.UUIDField(null=True, blank=True, editable=False)
    requested_at = models.DateTimeField("signed up", default=timezone.now)
    confirmed_at = models.DateTimeField("confirmed", null=True, blank=True)
    # Every opportunity opened up to this moment has been considered for them: alerts are
    # about those opened after it. Set when they confirm or change their choices.
    sent_up_to = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField("last alert", null=True, blank=True)

    objects = AlertSubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = "new opportunity alert"
        verbose_name_plural = "new opportunity alerts"
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="alert_one_per_address"),
        ]
        indexes = [
            models.Index(fields=["confirmed_at", "requested_at"], name="alert_confirmed"),
        ]

    def __str__(self):
        # Never the address: this is what the admin shows in titles and breadcrumbs.
        return f"Alert sign-up {self.pk}"

    @property
    def is_confirmed(self):
        return self.confirmed_at is not None

    # How the sign-up form and the emails name each kind of opportunity: many of them.
    KIND_LABELS = {
        Opportunity.Kind.LAY_PARTNER: "Lay partner roles",
        Opportunity.Kind.REFERENCE_GROUP: "Reference groups",
        Opportunity.Kind.PROJECT_GROUP: "Project groups",
        Opportunity.Kind.EVENT: "Events",
    }

    def kind_labels(self):
        return [label for kind, label in self.KIND_LABELS.items() if kind in self.kinds]

    def wants(self, opportunity, programme_ids):
        """Whether `opportunity` matches their choices; `programme_ids` are the programmes
        they chose (passed in, so a batch reads them once)."""
        if self.kinds and opportunity.kind not in self.kinds:
            return False
        return not programme_ids or opportunity.programme_id in programme_ids

    def confirm(self, now=None):
        """They followed the link and pressed the button: alerts start from now."""
        if self.is_confirmed:
            return
        now = now or timezone.now()
        type(self).objects.filter(pk=self.pk, confirmed_at__isnull=True).update(
            confirmed_at=now, sent_up_to=now
        )
        self.confirmed_at = self.sent_up_to = now

    def change_choices(self, *, kinds, programmes, now=None):
        """New choices apply to opportunities opening from now: changing them never sends
        alerts about ones that opened before."""
        with transaction.atomic():
            self.kinds = list(kinds)
            self.sent_up_to = now or timezone.now()
            self.save(update_fields=["kinds", "sent_up_to"])
            self.programmes.set(programmes)

    # Links -------------------------------------------------------------------------------------

    def confirm_token(self):
        return signing.dumps(self.key, salt=CONFIRM_SALT)

    def manage_token(self):
        return signing.dumps(self.key, salt=MANAGE_SALT)

    def confirm_url(self):
        return settings.SITE_URL + reverse(
            "applications:alerts_confirm", args=[self.confirm_token()]
        )

    def manage_url(self):
        return settings.SITE_URL + reverse(
            "applications:alerts_manage", args=[self.manage_token()]
        )

    def unsubscribe_url(self):
        return settings.SITE_URL + reverse(
            "applications:alerts_unsubscribe", args=[self.manage_token()]
        )

    @classmethod
    def key_from_confirm_token(cls, token):
        """The key a confirmation link is for; raises signing.SignatureExpired for a link past
        ALERT_CONFIRMATION_DAYS and signing.BadSignature for one that was tampered with."""
        return signing.loads(
            token, salt=CONFIRM_SALT,
            max_age=confirmation_max_age(),
        )

    @classmethod
    def key_from_manage_token(cls, token):
        """The key a manage or unsubscribe link is for, or None if it was tampered with. These
        links work for as long as the sign-up lasts."""
        try:
            return signing.loads(token, salt=MANAGE_SALT)
        except signing.BadSignature:
            return None

"""Factories set only what a valid row needs; each test states the data it depends on."""

import datetime

import factory
from django.utils import timezone

from applications.equality import EqualityResponse
from applications.models import Booking, Claim, ClaimEvent, ExpressionOfInterest
from involvement.models import PrivacyNotice
from opportunities.models import (
    GlossaryTerm,
    ImpactRecord,
    Meeting,
    Opportunity,
    PaymentLevel,
    Programme,
    Site,
)


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    name = factory.Sequence(lambda n: f"Programme {n}")
    slug = factory.Sequence(lambda n: f"programme-{n}")
    summary = "A strand of the trust's work."


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Hospital {n}")
    slug = factory.Sequence(lambda n: f"hospital-{n}")
    address = "Praed Street\nLondon\nW2 1NY"


class PaymentLevelFactory(factory.django.DjangoModelFactory):
    """Made-up rates for tests: the trust has published none."""

    class Meta:
        model = PaymentLevel

    name = factory.Sequence(lambda n: f"Level {n}: partner in a programme group")


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    programme = factory.SubFactory(ProgrammeFactory)
    kind = Opportunity.Kind.REFERENCE_GROUP
    title = factory.Sequence(lambda n: f"Opportunity {n}")
    slug = factory.Sequence(lambda n: f"opportunity-{n}")
    summary = "Help us improve something."
    description = "What the group is about."
    frequency = Opportunity.Frequency.MONTHLY
    on_site = True
    status = Opportunity.Status.OPEN


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    opportunity = factory.SubFactory(OpportunityFactory)
    kind = Meeting.Kind.MEETING
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda m: m.starts_at + datetime.timedelta(hours=2))
    location = "Meeting room 1, St Mary's Hospital"


class GlossaryTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GlossaryTerm

    term = factory.Sequence(lambda n: f"Term {n}")
    slug = factory.Sequence(lambda n: f"term-{n}")
    meaning = "What the term means."


class ExpressionOfInterestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpressionOfInterest

    opportunity = factory.SubFactory(OpportunityFactory)
    full_name = "Siobhán O'Brien"
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    age_band = ExpressionOfInterest.AgeBand.AGE_25_64
    connections = factory.LazyFunction(lambda: [ExpressionOfInterest.Connection.PATIENT])
    why_interested = "I want to help make things better."
    privacy_consent = True
    privacy_notice_version = "2026-11"


class EqualityResponseFactory(factory.django.DjangoModelFactory):
    """Answers to the equality questions: every question is optional, so none is set here."""

    class Meta:
        model = EqualityResponse


class PrivacyNoticeFactory(factory.django.DjangoModelFactory):
    """A draft version of the privacy notice. Every database also holds the published "2026-11"
    that involvement's migrations make; `published=True` publishes this one later than it."""

    class Meta:
        model = PrivacyNotice

    version = factory.Sequence(lambda n: f"2027-{n + 1:02d}")
    lawful_basis = "Our public task (UK GDPR Article 6(1)(e))."
    body = "## Who we are\n\nThe trust is the data controller."

    class Params:
        published = factory.Trait(
            published_at=factory.LazyFunction(timezone.now),
            retention_ended_months=12,
            retention_lay_partner_years=6,
        )



class ImpactRecordFactory(factory.django.DjangoModelFactory):
    """A draft "you said, we did" record: publish it in the test that needs it published."""

    class Meta:
        model = ImpactRecord

    title = factory.Sequence(lambda n: f"Change {n}")
    slug = factory.Sequence(lambda n: f"change-{n}")
    programme = factory.SubFactory(ProgrammeFactory)
    you_said = "The letters were hard to understand."


class AttendedBookingFactory(factory.django.DjangoModelFactory):
    """A lay partner (joined) recorded as attending a meeting that has happened: what a claim
    needs."""

    class Meta:
        model = Booking

    expression = factory.SubFactory(
        ExpressionOfInterestFactory, status=ExpressionOfInterest.Status.JOINED
    )
    meeting = factory.SubFactory(
        MeetingFactory,
        opportunity=factory.SelfAttribute("..expression.opportunity"),
        starts_at=factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=3)),
    )
    status = Booking.Status.ATTENDED


class ClaimFactory(factory.django.DjangoModelFactory):
    """A claim for expenses only (no payment level, so no payment), just made."""

    class Meta:
        model = Claim
        skip_postgeneration_save = True

    booking = factory.SubFactory(AttendedBookingFactory)
    budget_code = factory.LazyAttribute(lambda c: c.booking.meeting.opportunity.budget_code)
    declaration_name = factory.LazyAttribute(lambda c: c.booking.expression.full_name)
    declared_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def made(claim, create, extracted, **kwargs):
        if create:
            ClaimEvent.objects.create(
                claim=claim, action=ClaimEvent.Action.SUBMITTED, at=claim.submitted_at
            )

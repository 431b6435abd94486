"""Two of the team press "Export approved claims for payroll" at the same moment: each claim is
in exactly one file (`ClaimExport.make` locks the claims' rows). PostgreSQL only, as the
booking concurrency tests: SQLite serialises writes, so it cannot show a race."""

import threading

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.urls import reverse

from applications.models import Claim, ClaimExport
from tests.factories import ClaimFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL's row locks (SELECT ... FOR UPDATE). Set DATABASE_URL to a "
        "PostgreSQL database.",
    ),
    pytest.mark.django_db(transaction=True),
]

CLAIMS = 12


def test_two_exports_at_once_put_each_claim_in_exactly_one(staff_groups, django_user_model):
    team = Group.objects.get(name="Involvement team")
    clients = []
    for name in ("sam", "alex"):
        user = django_user_model.objects.create_user(name, is_staff=True)
        user.groups.add(team)
        client = Client()
        client.force_login(user)
        clients.append(client)
    approver = django_user_model.objects.get(username="sam")
    claims = ClaimFactory.create_batch(CLAIMS)
    for claim in claims:
        claim.step("approve", by=approver)

    barrier = threading.Barrier(len(clients))
    statuses, errors = [None] * len(clients), [None] * len(clients)

    def export(index):
        try:
            barrier.wait(timeout=30)
            statuses[index] = clients[index].post(
                reverse("admin:applications_claim_export")
            ).status_code
        except Exception as error:  # noqa: BLE001 - collected for the test to check
            errors[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=export, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads), "an export hung"
    assert errors == [None, None]
    # One made the file (200); the other found nothing left to send (a redirect with a
    # message), or, had it come first, the other way round.
    assert sorted(statuses) == [200, 302]
    [export] = ClaimExport.objects.all()
    assert export.claims.count() == CLAIMS
    assert not Claim.objects.filter(export__isnull=True).exists()
    assert set(Claim.objects.values_list("status", flat=True)) == {Claim.Status.EXPORTED}

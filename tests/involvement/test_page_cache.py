"""Public pages kept in the cache (involvement/page_cache.py): served without the database to
visitors who are not signed in, never to staff, never with anyone's form token, and forgotten
as soon as staff change what they show."""

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.urls import reverse

from applications.models import Booking, ExpressionOfInterest
from involvement.page_cache import cache_public_page
from opportunities.models import Opportunity, SearchSynonym
from tests.factories import (
    ExpressionOfInterestFactory,
    GlossaryTermFactory,
    MeetingFactory,
    OpportunityFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("opportunities:list")


def test_a_second_visitor_gets_the_page_without_the_database(
    client, django_assert_num_queries
):
    OpportunityFactory(title="Patient flow")
    first = client.get(LIST)

    with django_assert_num_queries(0):
        second = client.get(LIST)

    assert second.status_code == 200
    assert second.content == first.content
    assert "Patient flow" in second.content.decode()
    # The middleware still runs on a stored page: its security headers are the same.
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Type"):
        assert second[header] == first[header]


def test_each_query_string_is_its_own_page(client):
    OpportunityFactory(title="Patient flow", kind=Opportunity.Kind.LAY_PARTNER)
    OpportunityFactory(title="Young people's forum", kind=Opportunity.Kind.REFERENCE_GROUP)
    client.get(LIST)

    filtered = client.get(LIST, {"kind": "lay_partner"}).content.decode()

    assert "Patient flow" in filtered
    assert "Young people&#x27;s forum" not in filtered


def test_a_staff_edit_is_seen_at_once(client):
    opportunity = OpportunityFactory(title="Patient flow")
    client.get(reverse("opportunities:detail", args=[opportunity.slug]))

    opportunity.title = "Patient flow and discharge"
    opportunity.save()

    page = client.get(reverse("opportunities:detail", args=[opportunity.slug]))
    assert "Patient flow and discharge" in page.content.decode()


def test_closing_from_the_admin_list_is_seen_at_once(staff_client):
    """The admin's "close" action uses QuerySet.update(), which sends no signals."""
    client = Client()  # a visitor, not the signed-in member of staff
    opportunity = OpportunityFactory(title="Patient flow")
    assert "Patient flow" in client.get(LIST).content.decode()

    staff_client.post(
        reverse("admin:opportunities_opportunity_changelist"),
        {"action": "close_selected", "_selected_action": [opportunity.pk]},
    )

    assert Opportunity.objects.get(pk=opportunity.pk).status == Opportunity.Status.CLOSED
    assert "Patient flow" not in client.get(LIST).content.decode()


def test_a_new_glossary_term_is_explained_at_once(client):
    opportunity = OpportunityFactory(summary="Join our steering group.")
    detail = reverse("opportunities:detail", args=[opportunity.slug])
    client.get(detail)

    GlossaryTermFactory(term="steering group", meaning="A group that guides a project.")

    assert "A group that guides a project." in client.get(detail).content.decode()


def test_changing_the_search_synonyms_forgets_the_pages(client):
    # A kept search page would otherwise go on showing what the old synonyms found.
    OpportunityFactory(title="Maternity voices")
    client.get(LIST, {"q": "mums"})
    assert client.get(LIST, {"q": "mums"}).context is None  # served from the cache

    synonym = SearchSynonym.objects.create(term="mums", words="maternity")
    rebuilt = client.get(LIST, {"q": "mums"})
    synonym.delete()

    assert rebuilt.context is not None  # built again, not served from the cache
    assert client.get(LIST, {"q": "mums"}).context is not None


def test_a_booking_changes_the_free_places_at_once(client):
    meeting = MeetingFactory(
        capacity=2, public_registration=True, opportunity__kind=Opportunity.Kind.EVENT
    )
    events = reverse("opportunities:events")
    assert "2 places left" in client.get(events).content.decode()

    expression = ExpressionOfInterestFactory(opportunity=meeting.opportunity, meeting=meeting)
    Booking.objects.create(expression=expression, meeting=meeting, status=Booking.Status.CONFIRMED)

    assert "1 place left" in client.get(events).content.decode()


def test_a_lay_partner_joining_and_leaving_changes_the_count_at_once(client):
    opportunity = OpportunityFactory(
        kind=Opportunity.Kind.LAY_PARTNER, lay_partner_target=2, lay_partners_in_post=0
    )
    detail = reverse("opportunities:detail", args=[opportunity.slug])
    expression = ExpressionOfInterestFactory(
        opportunity=opportunity, status=ExpressionOfInterest.Status.TASTER
    )
    assert "0 of 2 filled" in client.get(detail).content.decode()

    expression.move_to(ExpressionOfInterest.Status.JOINED)
    assert "1 of 2 filled" in client.get(detail).content.decode()

    expression.move_to(ExpressionOfInterest.Status.WITHDRAWN)
    assert "0 of 2 filled" in client.get(detail).content.decode()


def test_new_expressions_of_interest_keep_the_pages(client, django_assert_num_queries):
    """Sending interest changes no public page, so it does not empty the cache."""
    opportunity = OpportunityFactory()
    client.get(LIST)

    ExpressionOfInterestFactory(opportunity=opportunity)

    with django_assert_num_queries(0):
        client.get(LIST)


def test_staff_get_pages_built_for_them_and_see_drafts(staff_client):
    client = Client()  # a visitor, not the signed-in member of staff
    draft = OpportunityFactory(title="Not yet published", status=Opportunity.Status.DRAFT)
    detail = reverse("opportunities:detail", args=[draft.slug])

    assert client.get(detail).status_code == 404
    assert staff_client.get(detail).status_code == 200
    # ...and what staff were shown was not kept for the public.
    assert client.get(detail).status_code == 404


def test_a_signed_in_visitor_is_never_served_a_stored_page(staff_client):
    OpportunityFactory(title="Patient flow")
    staff_client.get(LIST)

    # Staff pages are built every time (the query counts are asserted elsewhere).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        staff_client.get(LIST)
    assert len(queries) > 0


def test_a_visitor_with_a_message_waiting_gets_a_fresh_page(client):
    OpportunityFactory(title="Patient flow")
    client.get(LIST)
    client.cookies["messages"] = "anything"

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(LIST)
    assert len(queries) > 0


def test_a_page_with_a_form_token_is_never_stored():
    """A CSRF token belongs to one visitor: a page carrying one must be built for each."""
    calls = []

    @cache_public_page
    def page_with_a_form(request):
        calls.append(request)
        return HttpResponse(f"<input name=csrfmiddlewaretoken value={get_token(request)}>")

    factory = RequestFactory()
    page_with_a_form(factory.get("/form/"))
    page_with_a_form(factory.get("/form/"))

    assert len(calls) == 2


def test_only_successful_pages_are_stored():
    calls = []

    @cache_public_page
    def missing(request):
        calls.append(request)
        return HttpResponse("Page not found", status=404)

    factory = RequestFactory()
    missing(factory.get("/gone/"))
    missing(factory.get("/gone/"))

    assert len(calls) == 2


def test_a_stored_page_is_the_same_page(client):
    opportunity = OpportunityFactory()
    url = reverse("opportunities:detail", args=[opportunity.slug])

    first, second = client.get(url), client.get(url)

    assert (first.status_code, first.content) == (second.status_code, second.content)
    assert first["Content-Type"] == second["Content-Type"] == "text/html; charset=utf-8"


# The empty public forms ({% public_form %}) ------------------------------------------------


def _submission_key(html):
    import re

    return re.search(r'name="submission_key" value="([0-9a-f-]{36})"', html).group(1)


def _event_form(**opportunity):
    """A public event's registration form: the public form whose empty copy is kept (the
    interest form's question pages are small, and built for each person)."""
    meeting = MeetingFactory(
        opportunity=OpportunityFactory(kind=Opportunity.Kind.EVENT, **opportunity),
        kind="event", public_registration=True, capacity=20,
    )
    return meeting, reverse("applications:register_for_event", args=[meeting.pk])


def test_an_empty_form_is_kept_but_each_visitor_gets_their_own_key(client):
    _meeting, url = _event_form()

    first = client.get(url).content.decode()
    second = client.get(url).content.decode()

    first_key, second_key = _submission_key(first), _submission_key(second)
    assert first_key != second_key
    assert "5e1f5e1f5e1f" not in second  # the stand-in never reaches anyone
    # Apart from the key (and the visitor's CSRF token), the kept form is the form.
    import re

    def without_tokens(html):
        html = html.replace(_submission_key(html), "KEY")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    assert without_tokens(first) == without_tokens(second)


def test_a_kept_form_changes_when_staff_change_the_opportunity(client):
    meeting, url = _event_form(audience=Opportunity.Audience.ADULTS)
    assert 'name="parent_carer_name"' not in client.get(url).content.decode()

    # Now open to everyone, under-16s included: the form asks for a parent or carer.
    opportunity = meeting.opportunity
    opportunity.audience = Opportunity.Audience.EVERYONE
    opportunity.save()

    assert 'name="parent_carer_name"' in client.get(url).content.decode()


def test_a_form_with_mistakes_is_built_for_its_person(client):
    _meeting, url = _event_form()
    client.get(url)

    response = client.post(url, {"full_name": "Siobhán O'Brien", "email": "not an address"})

    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="Siobhán O&#x27;Brien"' in html
    assert "nhsuk-error-message" in html


def test_the_interest_forms_question_pages_are_never_kept(client):
    opportunity = OpportunityFactory()
    url = reverse("applications:interest_step", args=[opportunity.slug, "name"])

    client.post(url, {"full_name": "Siobhán O'Brien"})
    page = client.get(url).content.decode()

    assert 'value="Siobhán O&#x27;Brien"' in page
    # A visitor without a session gets an empty page, not someone else's answers.
    assert "Siobhán" not in Client().get(url).content.decode()


def test_a_page_built_while_staff_changed_something_is_not_served():
    """The page a request builds is kept under the generation read before it read the
    database: a staff change meanwhile moves the generation on, and the page is rebuilt."""
    from involvement.page_cache import forget_public_pages

    calls = []

    @cache_public_page
    def page(request):
        calls.append(request)
        if len(calls) == 1:
            forget_public_pages()  # a member of staff saves something mid-build
        return HttpResponse(f"built {len(calls)}")

    factory = RequestFactory()
    first = page(factory.get("/page/"))
    second = page(factory.get("/page/"))
    third = page(factory.get("/page/"))

    assert (first.content, second.content, third.content) == (b"built 1", b"built 2", b"built 2")


def test_no_page_is_kept_when_the_cache_time_is_0(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    calls = []

    @cache_public_page
    def page(request):
        calls.append(request)
        return HttpResponse("page")

    page(RequestFactory().get("/page/"))
    page(RequestFactory().get("/page/"))

    assert len(calls) == 2


# Keys nobody can multiply ----------------------------------------------------------------------


def stored_pages():
    """How many public pages the cache holds now."""
    store = getattr(cache, "_cache", None)
    if isinstance(store, dict):  # local memory
        return sum(1 for key in store if ":public-page:" in key)
    return len(store.get_client().keys("*:public-page:*"))


def test_unknown_parameters_get_the_page_without_them(client, django_assert_num_queries):
    OpportunityFactory(title="Patient flow")
    client.get(LIST)

    with django_assert_num_queries(0):
        tracked = client.get(LIST, {"utm_source": "newsletter", "fbclid": "abc"})

    assert tracked.status_code == 200
    assert stored_pages() == 1


def test_random_parameters_do_not_fill_the_cache(client):
    opportunity = OpportunityFactory(title="Patient flow")
    pages = [LIST, reverse("opportunities:detail", args=[opportunity.slug]),
             reverse("opportunities:home")]

    for number in range(60):
        client.get(pages[number % 3], {f"x{number}": str(number)})

    assert stored_pages() == 3


def test_a_page_first_asked_for_with_unknown_parameters_does_not_carry_them(client):
    for number in range(25):  # two pages of results, so there are page links
        OpportunityFactory(title=f"Opportunity {number}")

    first = client.get(LIST, {"kind": "lay_partner", "utm_source": "spam"}).content.decode()
    assert "utm_source" not in first
    # The same page, with its parameters in another order and an empty search.
    again = client.get(LIST + "?q=&utm_source=other&kind=lay_partner").content.decode()
    assert again == first
    assert stored_pages() == 1


def test_a_search_is_kept_as_typed_less_the_spaces_around_it(client, django_assert_num_queries):
    OpportunityFactory(title="Patient flow")
    first = client.get(LIST, {"q": "flow"}).content.decode()

    with django_assert_num_queries(0):
        again = client.get(LIST, {"q": "  flow ", "utm_source": "x"}).content.decode()

    assert again == first
    assert "Patient flow" in again
    assert stored_pages() == 1


def test_filters_in_any_order_are_one_page(client):
    OpportunityFactory(kind=Opportunity.Kind.LAY_PARTNER)
    client.get(LIST + "?kind=lay_partner&kind=event")
    client.get(LIST + "?kind=event&kind=lay_partner")
    client.get(LIST + "?kind=event&kind=lay_partner&kind=event")

    assert stored_pages() == 1


def test_what_cannot_be_a_real_page_is_not_kept(client):
    OpportunityFactory()
    for query in (
        {"q": "x" * 201},  # longer than the search box takes
        {"programme": "no-such-programme"},
        {"kind": "not-a-kind"},
        {"page": "999"},  # past the last page: shown the last, not kept as page 999
        {"page": "not-a-number"},
    ):
        assert client.get(LIST, query).status_code == 200, query

    # "not-a-kind" and "not-a-number" are simply dropped: the list without them, kept once.
    assert stored_pages() == 1


def test_a_new_glossary_term_is_explained_at_once_on_the_events_page(client):
    MeetingFactory(
        kind="event", title="iQI Sprint", public_registration=True,
        opportunity__kind=Opportunity.Kind.EVENT,
    )
    events = reverse("opportunities:events")
    assert "What the words on this page mean" not in client.get(events).content.decode()

    GlossaryTermFactory(term="iQI", slug="iqi", meaning="Imperial Quality Improvement.")

    assert "Imperial Quality Improvement." in client.get(events).content.decode()

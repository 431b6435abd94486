"""The public interest form as a person fills it in, for the browser tests that go through it."""


def fill_in_interest_form(page, *, name, email, age_band, connection, why, access_need=None):
    """Answer the interest form's questions (contact by email), and agree to the privacy
    notice. The labels are the ones people read on the page."""
    page.get_by_label("Full name", exact=True).fill(name)
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Email", exact=True).check()
    page.get_by_label(age_band).check()
    page.get_by_label(connection).check()
    page.get_by_label("Why are you interested?").fill(why)
    if access_need:
        page.get_by_label(access_need).check()
    page.get_by_label("I have read the privacy notice").check()


def sent_expression(page):
    """On the confirmation page after sending: the expression of interest saved, whose
    reference the page shows."""
    from applications.models import ExpressionOfInterest

    assert page.get_by_role("heading", level=1).inner_text() == (
        "We have your expression of interest"
    )
    expression = ExpressionOfInterest.objects.get()
    assert expression.reference in page.locator(".nhsuk-panel").inner_text()
    return expression

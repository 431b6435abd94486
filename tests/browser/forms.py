"""The public interest form as a person fills it in, a question a page, for the browser tests
that go through it."""


def press_continue(page):
    page.get_by_role("button", name="Continue").click()


def answer_interest_questions(
    page, *, name, email, age_band, connection, why, access_need=None, stop_after=None
):
    """Answer each question page (contact by email) and press Continue, as a person does, up
    to "Check your answers" (or after the page named `stop_after`). The labels are the ones
    people read on the pages."""
    page.get_by_label("Full name", exact=True).fill(name)
    press_continue(page)
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("Email address", exact=True).fill(email)
    press_continue(page)
    if stop_after == "contact":
        return
    page.get_by_label(age_band).check()
    press_continue(page)
    page.get_by_label(connection).check()
    press_continue(page)
    page.get_by_label("Why are you interested?").fill(why)
    press_continue(page)
    press_continue(page)  # anything else (optional)
    if access_need:
        page.get_by_label(access_need).check()
    press_continue(page)
    press_continue(page)  # when they can take part (optional)
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Check your answers before sending"
    )


def fill_in_interest_form(page, **answers):
    """Every question page answered, then, on "Check your answers", the privacy notice agreed
    to: what is left is to press Send."""
    answer_interest_questions(page, **answers)
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

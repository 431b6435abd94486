"""The privacy notice's text format (involvement/plain_text.py): headings, paragraphs, bullets
and email links, and nothing else: whatever staff type is shown as text, never run as HTML."""

from django.utils.safestring import SafeString

from involvement.plain_text import to_html


def test_blank_lines_separate_paragraphs_and_lines_within_one_are_joined():
    html = to_html("We collect your name\nand your email.\n\nWe keep it safe.")

    assert html == "<p>We collect your name and your email.</p>\n<p>We keep it safe.</p>"


def test_a_line_starting_with_two_hashes_is_a_heading():
    html = to_html("## Who we are\n\nThe trust is the data controller.")

    assert html == "<h2>Who we are</h2>\n<p>The trust is the data controller.</p>"


def test_a_heading_needs_no_blank_line_after_it():
    html = to_html("## Your rights\nYou can ask to see it.")

    assert html == "<h2>Your rights</h2>\n<p>You can ask to see it.</p>"


def test_lines_starting_with_a_dash_are_a_bulleted_list():
    html = to_html("We collect:\n- your name\n- how to contact you\n\nThat is all.")

    assert html == (
        "<p>We collect:</p>\n"
        '<ul class="nhsuk-list nhsuk-list--bullet"><li>your name</li>'
        "<li>how to contact you</li></ul>\n"
        "<p>That is all.</p>"
    )


def test_only_a_dash_and_a_space_make_a_bullet_and_only_two_hashes_and_a_space_a_heading():
    html = to_html("-5 degrees\n\n#hashtag\n\n### Three")

    assert "<li>" not in html
    assert "<h2>" not in html
    assert "<p>-5 degrees</p>" in html
    assert "<p>### Three</p>" in html


def test_html_typed_by_staff_is_shown_as_text():
    html = to_html(
        '## <script>alert("heading")</script>\n\n'
        '<img src=x onerror="alert(1)"> & more\n\n'
        "- <b>bold</b>"
    )

    assert "<script>" not in html
    assert "<img" not in html
    assert "<b>" not in html
    assert "<h2>&lt;script&gt;alert(&quot;heading&quot;)&lt;/script&gt;</h2>" in html
    assert "<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; more</p>" in html
    assert "<li>&lt;b&gt;bold&lt;/b&gt;</li>" in html


def test_email_addresses_become_links_and_a_full_stop_after_one_is_not_part_of_it():
    html = to_html("Email imperial.involvement@nhs.net or dpo+notices@example.nhs.uk.")

    assert html == (
        '<p>Email <a href="mailto:imperial.involvement@nhs.net">imperial.involvement@nhs.net</a>'
        ' or <a href="mailto:dpo+notices@example.nhs.uk">dpo+notices@example.nhs.uk</a>.</p>'
    )


def test_text_around_an_email_address_is_still_escaped():
    html = to_html('<a href="https://evil.example">x</a>team@example.nhs.uk<i>')

    assert html.count("<a ") == 1
    assert html == (
        '<p>&lt;a href=&quot;https://evil.example&quot;&gt;x&lt;/a&gt;'
        '<a href="mailto:team@example.nhs.uk">team@example.nhs.uk</a>&lt;i&gt;</p>'
    )


def test_an_at_sign_that_is_not_an_address_is_left_alone():
    assert to_html("Meet @ the front desk, or @trust online.") == (
        "<p>Meet @ the front desk, or @trust online.</p>"
    )


def test_the_result_is_marked_safe_and_empty_text_gives_nothing():
    assert isinstance(to_html("A paragraph."), SafeString)
    assert to_html("") == ""
    assert to_html("  \n\n  ") == ""
    assert to_html(None) == ""


def test_windows_line_endings_and_surrounding_space_are_tidied():
    html = to_html("  ## Heading  \r\n\r\n  A paragraph  \r\n  - a bullet \r\n")

    assert html == (
        "<h2>Heading</h2>\n<p>A paragraph</p>\n"
        '<ul class="nhsuk-list nhsuk-list--bullet"><li>a bullet</li></ul>'
    )

"""Who a reply goes to, how the original is quoted, and what HTML survives the editor."""

from webmail.mail.compose import Mailbox, subject_with_prefix
from webmail.mail.reply import (
    Original,
    format_addresses,
    html_to_plain,
    parse_addresses,
    quote_html,
    quote_text,
    reply_recipients,
)
from webmail.mail.written_html import clean_written_html

ME = "alice@example.org"
BOB = Mailbox("bob@example.net", "Bob")
CAROL = Mailbox("carol@example.net", "Carol")
DAVE = Mailbox("dave@example.net")
LIST = Mailbox("list@example.net")


def addresses(mailboxes) -> list[str]:
    return [m.address for m in mailboxes]


def test_a_reply_goes_to_the_sender():
    original = Original(sender=[BOB], to=[Mailbox(ME), CAROL])
    to, cc = reply_recipients(original, {ME}, reply_all=False)
    assert addresses(to) == ["bob@example.net"] and cc == []


def test_a_reply_goes_to_reply_to_when_there_is_one():
    original = Original(sender=[BOB], reply_to=[LIST], to=[Mailbox(ME)])
    to, _cc = reply_recipients(original, {ME}, reply_all=False)
    assert addresses(to) == ["list@example.net"]


def test_reply_all_copies_everyone_else_once_and_never_the_person():
    original = Original(
        sender=[BOB],
        to=[Mailbox("ALICE@example.org"), CAROL, BOB],
        cc=[DAVE, CAROL, Mailbox("alias@example.org")],
    )
    to, cc = reply_recipients(original, {ME, "alias@example.org"}, reply_all=True)
    assert addresses(to) == ["bob@example.net"]
    assert addresses(cc) == ["carol@example.net", "dave@example.net"]


def test_answering_ones_own_sent_message_goes_to_its_recipients():
    original = Original(sender=[Mailbox(ME)], to=[BOB], cc=[CAROL])
    to, cc = reply_recipients(original, {ME}, reply_all=True)
    assert addresses(to) == ["bob@example.net"] and addresses(cc) == ["carol@example.net"]


def test_a_note_to_oneself_is_answered_to_oneself():
    original = Original(sender=[Mailbox(ME)], to=[Mailbox(ME)])
    to, _cc = reply_recipients(original, {ME}, reply_all=True)
    assert addresses(to) == [ME]


def test_prefixes_do_not_pile_up():
    assert subject_with_prefix("RE: Re: Lunch", "Re:") == "Re: Lunch"
    assert subject_with_prefix("Fwd: TR: Lunch", "Fwd:") == "Fwd: Lunch"
    assert subject_with_prefix("Re: Lunch", "Fwd:") == "Fwd: Re: Lunch"


def test_pasted_addresses_are_split_and_the_invalid_ones_named():
    valid, invalid = parse_addresses('"Doe, Jane" <jane@x.org>; bob@y.org\nnot an address, c@d')
    assert valid == [Mailbox("jane@x.org", "Doe, Jane"), Mailbox("bob@y.org")]
    assert invalid == ["not an address", "c@d"]


def test_formatted_addresses_read_back_the_same():
    mailboxes = [Mailbox("jane@x.org", "Doe, Jane"), Mailbox("bob@y.org")]
    assert parse_addresses(format_addresses(mailboxes)) == (mailboxes, [])


def test_quoted_text_has_a_marker_on_every_line():
    assert quote_text("Hi\n\n> earlier", "Bob wrote:") == "Bob wrote:\n> Hi\n>\n>> earlier\n"


def test_the_attribution_is_escaped_in_an_html_quote():
    quoted = quote_html("<p>x</p>", "<script>Bob</script> wrote:")
    assert "<script>" not in quoted and "&lt;script&gt;" in quoted


def test_hostile_html_is_cleaned_for_the_editor_and_for_sending():
    hostile = (
        '<p style="position:fixed" onclick="steal()">Hi<script>alert(1)</script></p>'
        '<img src="https://tracker.example/p.gif" onerror="x()"><img src="cid:logo">'
        '<a href="javascript:alert(1)">bad</a><a href="https://example.org">good</a>'
        "<iframe src=https://evil.example></iframe><svg onload=alert(1)></svg>"
        '<style>body{display:none}</style><img src="data:image/png;base64,iVBOR">'
        "<form action=https://evil.example><input name=p></form>"
    )
    clean = clean_written_html(hostile)
    for forbidden in ("script", "onclick", "onerror", "style", "tracker", "cid:", "javascript",
                      "iframe", "svg", "form", "input"):  # fmt: skip
        assert forbidden not in clean
    assert '<a href="https://example.org"' in clean
    assert 'src="data:image/png;base64,iVBOR"' in clean


def test_the_plain_alternative_keeps_lines_quotes_and_links():
    html = (
        "<div>Hello <b>Bob</b></div><div>Second line</div>"
        '<blockquote type="cite"><p>Earlier words</p></blockquote>'
        '<p>See <a href="https://example.org/x">the page</a></p><ul><li>one</li><li>two</li></ul>'
    )
    text = html_to_plain(html)
    assert "Hello Bob\nSecond line\n" in text
    assert "> Earlier words" in text
    assert "the page <https://example.org/x>" in text
    assert "- one\n- two" in text

"""Reading List-Unsubscribe and friends as a hostile sender writes them."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.mail.hostile_mail import FUZZ, header_values
from webmail.mail.mime import parse_headers
from webmail.mail.unsubscribe import (
    MAX_BODY_CHARS,
    MAX_ENTRIES,
    MAX_SUBJECT_CHARS,
    MailRequest,
    UnsubscribeMethods,
    list_name,
    unsubscribe_methods,
)

ONE_CLICK = "List-Unsubscribe=One-Click"


def test_one_click_needs_an_https_uri_and_the_post_header():
    header = "<mailto:leave@lists.example.org>, <https://lists.example.org/u/42>"
    assert unsubscribe_methods(header, ONE_CLICK) == UnsubscribeMethods(
        one_click="https://lists.example.org/u/42",
        link="https://lists.example.org/u/42",
        mail=MailRequest("leave@lists.example.org"),
    )
    assert unsubscribe_methods(header).one_click == ""
    assert unsubscribe_methods(header, "List-Unsubscribe=Yes-Please").one_click == ""
    assert unsubscribe_methods("<http://lists.example.org/u>", ONE_CLICK).one_click == ""


def test_plain_http_is_only_a_link_and_https_comes_first():
    header = "<http://a.example/u>, <https://b.example/u>"
    assert unsubscribe_methods(header).link == "https://b.example/u"
    assert unsubscribe_methods("<http://a.example/u>").link == "http://a.example/u"


def test_a_uri_folded_over_lines_is_joined():
    header = "<https://lists.example.org/unsubscribe?\r\n list=news&id=\r\n\t42>"
    assert (
        unsubscribe_methods(header).link == "https://lists.example.org/unsubscribe?list=news&id=42"
    )


def test_a_folded_header_read_from_a_message_keeps_its_uris():
    raw = (
        b"From: News <news@example.org>\r\nList-Id: Weekly News <news.example.org>\r\n"
        b"List-Unsubscribe: <mailto:leave@example.org?subject=unsubscribe%20me>,\r\n"
        b"  <https://example.org/leave?u=1>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click"
        b"\r\n\r\nHello"
    )
    parsed = parse_headers(raw)
    methods = unsubscribe_methods(parsed.list_unsubscribe, parsed.list_unsubscribe_post)
    assert methods.one_click == "https://example.org/leave?u=1"
    assert methods.mail == MailRequest("leave@example.org", "unsubscribe me")
    assert list_name(parsed.list_id) == "Weekly News"


@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(document.cookie)",
        "JaVaScRiPt:alert(1)//https://example.org",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "ftp://example.org/unsubscribe",
        "vbscript:msgbox",
        "https://",
        "https:///no-host",
        "https://user:secret@example.org/u",
        "https://example.org:99999/u",
        "https://evil.example\\@good.example/u",  # browsers go to evil.example
        "https://%65vil.example/u",
        "https://ex\u00e4mple.org/u",
        "mailto:",
        "mailto:not-an-address",
        'mailto:"quoted"@example.org',
        "mailto:leave@[127.0.0.1]",
        "mailto:a..b@example.org",
        "mailto:leave@example..org",
        "mailto:leave@-example.org",
        "mailto:leave%0D%0ABcc%3A%20x@example.org",
        "https://example.org/" + "a" * 3000,
        "not a uri at all",
    ],
)
def test_anything_but_a_checked_https_http_or_mailto_uri_is_ignored(uri):
    assert not unsubscribe_methods(f"<{uri}>", ONE_CLICK)


def test_the_safe_uris_of_a_hostile_header_are_kept():
    header = "<javascript:alert(1)>, <data:,x>, <https://example.org/u>, <file:///x>"
    assert unsubscribe_methods(header, ONE_CLICK).one_click == "https://example.org/u"


def test_ten_thousand_entries_are_cut_to_the_first_few():
    header = ", ".join(f"<https://example.org/{index}>" for index in range(10_000))
    assert unsubscribe_methods(header).link == "https://example.org/0"
    late = ", ".join(["<javascript:x>"] * MAX_ENTRIES + ["<https://example.org/late>"])
    assert not unsubscribe_methods(late)


def test_a_header_without_brackets_offers_nothing():
    assert not unsubscribe_methods("https://example.org/u, mailto:leave@example.org")
    assert not unsubscribe_methods("")


def test_a_mailto_line_break_cannot_add_a_header_or_a_recipient():
    uri = "mailto:leave@example.org?subject=bye%0D%0ABcc:%20victim@example.net&bcc=x@example.net"
    request = unsubscribe_methods(f"<{uri}>").mail
    assert request == MailRequest("leave@example.org", "bye Bcc: victim@example.net")


def test_a_mailto_takes_its_subject_body_and_to_field_as_rfc_6068_writes_them():
    uri = "mailto:?to=leave%40example.org&SUBJECT=a+b%20c&body=line%201%0D%0Aline%202&subject=x"
    request = unsubscribe_methods(f"<{uri}>").mail
    assert request == MailRequest("leave@example.org", "a+b c", "line 1\nline 2")


def test_a_mailto_subject_and_body_are_capped_and_cleaned():
    long_subject = unsubscribe_methods(f"<mailto:leave@example.org?subject={'s' * 500}>").mail
    assert long_subject is not None and len(long_subject.subject) == MAX_SUBJECT_CHARS
    long_body = unsubscribe_methods(f"<mailto:leave@example.org?body={'b' * 2010}>").mail
    assert long_body is not None and len(long_body.body) == MAX_BODY_CHARS
    hostile = unsubscribe_methods("<mailto:leave@example.org?body=%E2%80%AEevil%00>").mail
    assert hostile is not None and hostile.body == "evil"


def test_crlf_inside_the_brackets_is_only_folding_whitespace():
    header = "<https://example.org/u\r\nX-Injected: yes>"
    assert unsubscribe_methods(header).link == "https://example.org/uX-Injected:yes"


def test_the_list_name_comes_from_list_id_else_its_identifier():
    assert list_name('"Weekly News" <news.example.org>') == "Weekly News"
    assert list_name("<news.example.org>") == "news.example.org"
    assert list_name("news.example.org") == "news.example.org"
    assert list_name("\u202eevil\x00 <x.example>") == "evil"
    assert list_name("") == ""


@FUZZ
@given(st.lists(st.one_of(header_values(), st.binary(max_size=60)), max_size=4), header_values())
def test_any_header_bytes_give_only_checked_methods(pieces, post):
    header = b", ".join(b"<" + piece + b">" for piece in pieces).decode("utf-8", "surrogateescape")
    methods = unsubscribe_methods(header, post.decode("utf-8", "surrogateescape"))
    for uri in (methods.one_click, methods.link):
        assert uri == "" or (uri.startswith(("https://", "http://")) and uri.isascii())
    assert methods.one_click == "" or methods.one_click.startswith("https://")
    if methods.mail is not None:
        request = methods.mail
        assert request.address.isascii() and "\n" not in request.subject
        assert not any(character in request.subject for character in "\r\x00")


@FUZZ
@given(st.lists(st.sampled_from(["<", ">", ",", " ", "\r\n ", "https://a.example", "mailto:"])))
def test_any_arrangement_of_brackets_and_schemes_is_read_without_error(pieces):
    unsubscribe_methods("".join(pieces), ONE_CLICK)


def test_headers_past_the_cap_are_not_read():
    raw = b"List-Unsubscribe: <https://example.org/u>\r\nX-Pad: " + b"x" * 300_000 + b"\r\n\r\n"
    parsed = parse_headers(raw)
    assert parsed.problem == "headers_too_large" and parsed.list_unsubscribe == ""

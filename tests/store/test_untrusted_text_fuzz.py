"""Property tests for the rules every untrusted string passes: sanitiser, usernames, messages."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.accounts.usernames import RESERVED, InvalidUsername, check_username, is_valid_username
from store.errors import Invalid
from store.rooms.rooms import MAX_MESSAGE_LENGTH, check_message
from store.text import REPLACEMENT, sanitize, sanitize_line

# What must never reach a terminal: C0 but tab/newline, DEL, C1, bidi controls, BOM.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
                       "\ufeff]")
HOSTILE = st.sampled_from(["\x1b[2J", "\x1b]0;pwned\x07", "\x9b31m", "\u202e", "\u2066",
                           "\ufeff", "\r", "\r\n", "\x00", "\x7f", "[@click=app.quit]x[/]",
                           "[/]", "[bold]", "\x1bP+q\x1b\\", "\u2028"])
TEXT = st.lists(st.one_of(st.text(), HOSTILE), max_size=20).map("".join)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_sanitize_leaves_nothing_a_terminal_would_obey(text):
    clean = sanitize(text)
    assert not FORBIDDEN.search(clean)
    assert "\r" not in clean
    assert sanitize(clean) == clean  # idempotent: sanitising twice changes nothing more


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_sanitize_line_is_one_line(text):
    line = sanitize_line(text)
    assert "\n" not in line and "\t" not in line and not FORBIDDEN.search(line)
    assert sanitize_line(line) == line


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cf", "Cs"]),
               max_size=50))
def test_sanitize_keeps_ordinary_text_as_it_is(text):
    assert sanitize(text) == text


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=40), st.from_regex(r"[a-z0-9._-]{1,40}", fullmatch=True),
                 st.sampled_from(sorted(RESERVED))))
def test_username_rule(name):
    valid = is_valid_username(name)
    assert valid == (re.fullmatch(r"[a-z0-9._-]{3,32}", name) is not None
                     and name not in RESERVED and not name.startswith("."))
    if valid:
        assert check_username(name) == name
        assert sanitize_line(name) == name  # a valid name never needs cleaning for display
    else:
        with pytest.raises(InvalidUsername):
            check_username(name)


@settings(max_examples=300, deadline=None)
@given(st.one_of(TEXT, st.text(min_size=3990, max_size=4010)))
def test_message_box_input_is_stored_harmless_or_refused(text):
    try:
        body = check_message(text)
    except Invalid:
        cleaned = sanitize(text)
        assert not cleaned.strip() or len(cleaned) > MAX_MESSAGE_LENGTH
        return
    assert body.strip() and len(body) <= MAX_MESSAGE_LENGTH
    assert not FORBIDDEN.search(body)
    assert check_message(body) == body
    assert REPLACEMENT in body or body == text.replace("\r\n", "\n").replace("\r", "\n")

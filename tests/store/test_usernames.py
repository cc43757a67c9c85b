"""A name typed against the rules gets a close valid one to take (issue 16)."""

from __future__ import annotations

import pytest

from store.accounts.usernames import is_valid_username, suggest_username


@pytest.mark.parametrize(("typed", "suggested"), [
    ("Jürgen", "juergen"), ("Anna Müller", "anna.mueller"), ("GROSS", "gross"),
    ("Straße", "strasse"), ("René", "rene"), ("Ödön  Groß!", "oedoen.gross"),
])
def test_a_name_against_the_rules_gets_a_valid_suggestion(typed, suggested):
    assert suggest_username(typed) == suggested and is_valid_username(suggested)


@pytest.mark.parametrize("typed", ["klara", "root", "x", "!!!", "Ω"])
def test_no_suggestion_for_a_valid_reserved_or_hopeless_name(typed):
    assert suggest_username(typed) is None

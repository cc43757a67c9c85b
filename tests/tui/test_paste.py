"""Bracketed pastes are taken whole out of the input, whatever escape bytes they carry."""

from __future__ import annotations

from textual import events

from tui.paste import MAX_PASTE, PasteSplitter

HOSTILE = "A\x1b]0;x\x07B \x1b[2J C\u202eD\r[/] F"


def _feed_in_chunks(data: str, size: int) -> list:
    splitter = PasteSplitter()
    out: list = []
    for i in range(0, len(data), size):
        out += splitter.feed(data[i:i + size])
    return out


def test_a_paste_with_escapes_stays_one_paste_however_it_is_chunked():
    data = "ab\x1b[200~" + HOSTILE + "\x1b[201~cd"
    for size in (1, 2, 3, 7, len(data)):
        pieces = _feed_in_chunks(data, size)
        pastes = [p for p in pieces if isinstance(p, events.Paste)]
        assert [p.text for p in pastes] == [HOSTILE], size
        typed = "".join(p for p in pieces if isinstance(p, str))
        assert typed == "abcd", size  # nothing of the paste leaks out as key presses


def test_a_lone_escape_is_held_only_until_released():
    splitter = PasteSplitter()
    assert splitter.feed("\x1b") == []
    assert splitter.holding
    assert splitter.release() == "\x1b"
    assert not splitter.holding


def test_an_endless_paste_is_cut_to_the_limit():
    splitter = PasteSplitter()
    splitter.feed("\x1b[200~")
    for _ in range(3):
        splitter.feed("x" * MAX_PASTE)
    (paste,) = splitter.feed("\x1b[201~")
    assert len(paste.text) == MAX_PASTE

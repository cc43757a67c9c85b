"""The message box's editing keys, pastes, wrapping and drawing, in-process."""

from __future__ import annotations

from textual import events, on
from textual.app import App, ComposeResult
from textual.widgets import Button

from tui.widgets.room.message_box import MessageBox, wrap


class Box(App[None]):
    CSS = "MessageBox { max-height: 4; }"

    def __init__(self, max_length: int = 1000, counted_from: int = 900) -> None:
        super().__init__()
        self.max_length = max_length
        self.counted_from = counted_from
        self.sent: list[str] = []
        self.refused: list[int] = []
        self.lengths: list[int] = []

    def compose(self) -> ComposeResult:
        yield MessageBox(self.max_length, counted_from=self.counted_from, id="box")
        yield Button("weiter")

    def on_mount(self) -> None:
        self.query_one(MessageBox).focus()

    @on(MessageBox.Send)
    def _sent(self, event: MessageBox.Send) -> None:
        self.sent.append(event.text)

    @on(MessageBox.PasteRefused)
    def _refused(self, event: MessageBox.PasteRefused) -> None:
        self.refused.append(event.pasted)

    @on(MessageBox.LengthChanged)
    def _length(self, event: MessageBox.LengthChanged) -> None:
        self.lengths.append(event.length)


def shown(box: MessageBox) -> list[str]:
    return [box.render_line(y).text for y in range(box.size.height)]


def cursor_cell(box: MessageBox) -> tuple[int, str]:
    """The row and the character the cursor is drawn on (in the cursor's style)."""
    cursor = box.get_component_rich_style("message-box--cursor")
    for y in range(box.size.height):
        for segment in box.render_line(y):
            if segment.style is not None and cursor.bgcolor == segment.style.bgcolor \
                    and cursor.color == segment.style.color and segment.text:
                return y, segment.text
    raise AssertionError("no cursor drawn")


async def test_typing_new_lines_and_enter():
    app = Box()
    async with app.run_test(size=(40, 10)) as pilot:
        box = app.query_one(MessageBox)
        await pilot.press(*"Hallo", "ctrl+j", *"du", "alt+enter", "?")
        assert box.text == "Hallo\ndu\n?"  # "?" is text here, not the help key
        await pilot.press("enter")
        assert app.sent == ["Hallo\ndu\n?"]
        assert box.text == "Hallo\ndu\n?"  # the screen clears the box once the message is stored
        box.load_text("")
        await pilot.pause()
        assert box.text == ""


async def test_cursor_keys_and_deleting():
    app = Box()
    async with app.run_test(size=(40, 10)) as pilot:
        box = app.query_one(MessageBox)
        await pilot.press(*"abc def", "left", "left", "left", "backspace")
        assert box.text == "abcdef"
        await pilot.press("home", "delete", "end", "x")
        assert box.text == "bcdefx"
        await pilot.press("ctrl+a", "y", "ctrl+e", "z")
        assert box.text == "ybcdefxz"
        await pilot.press("right", "ctrl+d", "ctrl+left", "ctrl+left")
        assert box.text == "ybcdefxz"
        box.load_text("eins zwei drei")
        await pilot.press("ctrl+w")
        assert box.text == "eins zwei "
        await pilot.press("ctrl+left", "ctrl+left", "alt+delete")
        assert box.text == " zwei "
        await pilot.press("ctrl+right", "ctrl+u")
        assert box.text == " "
        box.load_text("oben\nunten")
        await pilot.press("up", "ctrl+k")
        # Up from the end of "unten" ends at the end of "oben": there ctrl+k joins the lines,
        # then deletes the rest of the line.
        assert box.text == "obenunten"
        await pilot.press("ctrl+k")
        assert box.text == "oben"
        await pilot.press("ctrl+home", "ctrl+k")
        assert box.text == ""
        box.load_text("a\nb")
        await pilot.press("ctrl+home", "ctrl+end", "backspace", "backspace")
        assert box.text == "a"


async def test_up_and_down_keep_the_column_across_short_rows():
    app = Box()
    async with app.run_test(size=(40, 10)) as pilot:
        box = app.query_one(MessageBox)
        box.load_text("eine lange Zeile\nkurz\nnoch eine lange Zeile")
        await pilot.press("ctrl+home", *["right"] * 10, "down", "down", "x")
        assert box.text == "eine lange Zeile\nkurz\nnoch eine xlange Zeile"
        await pilot.press("up", "up", "up", "y")  # past the top stays in the first row
        assert box.text.startswith("eine lange")
        assert "y" in box.text.splitlines()[0]


async def test_pastes_are_cleaned_inserted_at_the_cursor_or_refused_whole():
    app = Box(max_length=30)
    async with app.run_test(size=(40, 10)) as pilot:
        box = app.query_one(MessageBox)
        await pilot.press(*"AB", "left")
        box.post_message(events.Paste("x\x1b[2J\u202ey\x07"))
        await pilot.pause()
        assert box.text == "Ax\ufffd[2J\ufffdy\ufffdB"
        draft = box.text
        box.post_message(events.Paste("z" * 100_000))
        await pilot.pause()
        assert app.refused == [100_000]
        assert box.text == draft


async def test_markup_is_shown_literally_and_long_lines_wrap_at_spaces():
    app = Box()
    async with app.run_test(size=(22, 10)) as pilot:
        box = app.query_one(MessageBox)
        box.load_text("[bold]x[/bold] [@click=app.quit]")
        await pilot.pause()
        text = "".join(shown(box))
        assert "[bold]x[/bold]" in text and "[@click=app.quit]" in text
        assert not app.sent and app.is_running


async def test_the_box_grows_with_the_draft_up_to_its_maximum_and_follows_the_cursor():
    app = Box()
    async with app.run_test(size=(40, 10)) as pilot:
        box = app.query_one(MessageBox)
        assert box.size.height == 1
        await pilot.press(*"a", "ctrl+j", *"b")
        assert box.size.height == 2
        box.load_text("\n".join(f"Zeile {n}" for n in range(8)))
        await pilot.pause()
        assert box.size.height == 4  # max-height
        assert shown(box)[-1].startswith("Zeile 7")
        assert cursor_cell(box)[0] == 3
        await pilot.press("ctrl+home")
        assert shown(box)[0].startswith("Zeile 0")
        assert cursor_cell(box) == (0, "Z")


def test_wrap_breaks_after_the_last_space_that_fits_or_inside_a_long_word():
    text = "eins zwei drei\nabcdefghij"
    rows = [text[start:end] for start, end in wrap(text, 6)]
    assert rows == ["eins ", "zwei ", "drei", "abcdef", "ghij"]
    assert wrap("", 5) == [(0, 0)]
    # Wide characters take two cells each.
    assert [end - start for start, end in wrap("日本語日本語", 5)] == [2, 2, 2]


async def test_read_only_takes_no_text_and_sends_nothing():
    app = Box()
    async with app.run_test(size=(40, 10)) as pilot:
        box = app.query_one(MessageBox)
        box.load_text("alt")
        box.read_only = True
        await pilot.press("x", "backspace", "enter")
        box.post_message(events.Paste("neu"))
        await pilot.pause()
        assert box.text == "alt" and app.sent == []


async def test_tab_leaves_the_box():
    app = Box()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.press("tab")
        assert isinstance(app.focused, Button)


async def test_the_length_is_reported_only_near_the_limit():
    app = Box(max_length=20, counted_from=5)
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.press(*"abcdef", "backspace", "backspace")
        assert app.lengths == [5, 6, 5, 4]


async def test_the_placeholder_shows_in_an_empty_box_with_the_cursor_on_it():
    app = Box()
    async with app.run_test(size=(40, 10)) as pilot:
        box = app.query_one(MessageBox)
        box.placeholder = "Ihre Nachricht …"
        await pilot.pause()
        assert shown(box)[0].startswith("Ihre Nachricht …")
        assert cursor_cell(box) == (0, "I")
        await pilot.press("x")
        assert shown(box)[0].startswith("x ")

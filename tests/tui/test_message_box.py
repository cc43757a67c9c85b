"""The message box styles itself from the CSS only when that changes, and draws as TextArea."""

from __future__ import annotations

from itertools import pairwise

from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import Button, TextArea

from tui.widgets.room.message_box import MessageBox


class Box(App[None]):
    CSS = """
    MessageBox { height: 4; }
    MessageBox.-warm { color: #ffcc00; background: #402000; }
    """

    def compose(self) -> ComposeResult:
        yield MessageBox(1000, id="box")
        yield Button("weiter")


def forget_rendered_lines(box: MessageBox) -> None:
    # Only the styling is under test, not TextArea's and Textual's caches of rendered lines.
    box._line_cache.clear()
    box._styles_cache.clear()


def as_text_area_draws(box: MessageBox) -> list[Strip]:
    """The box as TextArea itself renders it, styled afresh from the CSS."""
    forget_rendered_lines(box)
    return TextArea.render_lines(box, box.size.region)


def drawn(box: MessageBox) -> list[Strip]:
    forget_rendered_lines(box)
    return box.render_lines(box.size.region)


async def test_the_box_follows_focus_disabling_and_the_app_theme_as_text_area_does():
    app = Box()
    async with app.run_test(size=(40, 8)) as pilot:
        box = app.query_one(MessageBox)
        box.focus()
        box.load_text("Guten Morgen\nwie geht es?")
        await pilot.pause()
        looks = [drawn(box)]
        assert looks[0] == as_text_area_draws(box)

        changes = [lambda: box.add_class("-warm"),
                   lambda: app.query_one(Button).focus(),
                   lambda: setattr(box, "disabled", True),
                   lambda: setattr(app, "theme", "textual-light"),
                   lambda: setattr(box, "theme", "monokai")]
        for change in changes:
            change()
            await pilot.pause()
            looks.append(drawn(box))
            assert looks[-1] == as_text_area_draws(box)
        # Each change showed: the box is not simply drawn one way throughout.
        assert all(before != after for before, after in pairwise(looks))

"""A radio button whose choice shows in its shape, not only in its colour: with NO_COLOR or on a
monochrome terminal Textual's own draws the chosen and the other options alike."""

from __future__ import annotations

from textual.widgets import RadioButton

CHOSEN, NOT_CHOSEN = "●", " "


class Choice(RadioButton):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shape()

    def watch_value(self) -> None:
        self._shape()
        super().watch_value()  # marks it -on and tells the radio set

    def _shape(self) -> None:
        # Textual draws BUTTON_INNER in either state and tells them apart by its style only.
        self.BUTTON_INNER = CHOSEN if self.value else NOT_CHOSEN

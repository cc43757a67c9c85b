"""Textual's compositor, made cheaper for screens that change a few rows at a time.

- For a partial update, Textual picks the widgets to render by their clip (for a screen's
  children, the whole screen) and renders each of them whole, however few rows changed: one
  key typed in the room rendered every widget of the screen, all 24 rows, to paint the box's 3.
  Here each widget renders only its rows inside the update's crop; what reaches the terminal is
  the same, since rows outside the crop were thrown away before they were drawn.
- A widget that scrolls (`ScrolledByTerminal`) may let the terminal move the rows it already
  shows (a scroll region, DECSTBM, and line feeds or reverse index), so that only the rows
  that scrolled into view and its scrollbar are drawn, instead of every row of the widget.
  That is done only when what the terminal shows there is known to be what Textual drew: the
  widget spans the whole width (a scroll region moves whole lines), nothing else is drawn over
  those rows, and nothing there waits to be repainted. Otherwise the widget is repainted whole,
  as Textual would.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from textual.geometry import Region
from textual.screen import Screen
from textual.scrollbar import ScrollBar, ScrollBarCorner
from textual.strip import Strip
from textual.widget import Widget

from tui.textual_compat import (
    ChopsUpdate,
    LayoutUpdate,
    RenderHookCompositor,
    awaits_repaint,
    dirty_regions,
    in_batch,
    uses_compositor,
)


class ScrolledByTerminal:
    """Mixed into a widget whose content the terminal may scroll: instead of repainting itself
    when it scrolls, it adds the rows its content moved up (negative: down) to
    `terminal_shift` and asks its screen for an update; the next update paints it, by scrolling
    or whole, and sets the count back to 0."""

    terminal_shift = 0


def paints_scrolls(screen: Screen[object]) -> bool:
    """Whether the screen is in front and lets the terminal scroll `ScrolledByTerminal`
    widgets (any other screen would never paint what they count)."""
    return screen.app.screen is screen and uses_compositor(screen, CroppingCompositor)


class ScrolledUpdate(ChopsUpdate):
    """A partial update that first has the terminal scroll regions of the screen."""

    def __init__(self, update: ChopsUpdate, scrolls: str) -> None:
        super().__init__(update.chops, update.spans, update.chop_ends)
        self.scrolls = scrolls

    def render_segments(self, console: Console) -> str:
        return self.scrolls + super().render_segments(console)


def scroll_sequence(top: int, bottom: int, shift: int) -> str:
    """Scroll screen rows top..bottom-1 (0-based) up by `shift` rows (down if negative)."""
    margins = f"\x1b[{top + 1};{bottom}r"
    if shift > 0:  # a line feed on the bottom margin scrolls the region up
        moves = f"\x1b[{bottom};1H" + "\n" * shift
    else:  # a reverse index on the top margin scrolls it down
        moves = f"\x1b[{top + 1};1H" + "\x1bM" * -shift
    return margins + moves + "\x1b[r"


class CroppingCompositor(RenderHookCompositor):
    def renders(self, crop: Region | None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        if crop is None:
            yield from super().renders(crop)
            return
        top, bottom = crop.y, crop.bottom
        for widget, (region, clip) in self.visible_widgets.items():
            x, y, width, height = region.intersection(clip)
            first, last = max(y, top), min(y + height, bottom)
            if not width or first >= last:
                continue
            # Yielded as its own region and clip: the caller pairs the strips with the rows of
            # region ∩ clip, which must be exactly the rows rendered.
            shown = Region(x, first, width, last - first)
            yield shown, shown, widget.render_lines(
                Region(x - region.x, first - region.y, width, last - first))

    def render_full_update(self, simplify: bool = False) -> LayoutUpdate:
        for widget in self.visible_widgets:
            if isinstance(widget, ScrolledByTerminal):
                widget.terminal_shift = 0  # painted whole now
        return super().render_full_update(simplify)

    def render_partial_update(self) -> ChopsUpdate | None:
        scrolls = "".join(self._scroll(widget) for widget in list(self.visible_widgets)
                          if isinstance(widget, ScrolledByTerminal) and widget.terminal_shift)
        update = super().render_partial_update()
        if update is None or not scrolls:
            return update
        return ScrolledUpdate(update, scrolls)

    def _scroll(self, widget: Widget) -> str:
        """What the terminal is to do for the widget's shift (maybe nothing), with the rows
        to draw after it marked dirty."""
        assert isinstance(widget, ScrolledByTerminal)
        shift, widget.terminal_shift = widget.terminal_shift, 0
        region, clip = self.visible_widgets[widget]
        band = region.intersection(clip)
        redrawn = self._redrawn_over(widget, band)
        # Within a batch the app writes nothing, so the terminal would never scroll.
        if (redrawn is None or abs(shift) >= band.height or band.x != 0
                or band.width != self.size.width or awaits_repaint(widget)
                or in_batch(widget.app)):
            dirty_regions(self).add(band)
            return ""
        if shift > 0:
            exposed = Region(0, band.bottom - shift, band.width, shift)
        else:
            exposed = Region(0, band.y, band.width, -shift)
        dirty_regions(self).update((exposed, *redrawn))
        return scroll_sequence(band.y, band.bottom, shift)

    def _redrawn_over(self, widget: Widget, band: Region) -> list[Region] | None:
        """The widget's scrollbars in the band (they scroll with it, and are drawn again), or
        None if anything else is drawn over the band or waits to be repainted in it."""
        scrollbars: list[Region] = []
        for other, (region, clip) in self.visible_widgets.items():
            if other is widget:
                break  # all that follows is behind it
            shown = region.intersection(clip)
            if not shown.overlaps(band):
                continue
            if isinstance(other, ScrollBar | ScrollBarCorner) and other.parent is widget:
                scrollbars.append(shown)
            else:
                return None
        if any(dirty.overlaps(band) and not any(bar.contains_region(dirty) for bar in scrollbars)
               for dirty in dirty_regions(self)):
            return None
        return scrollbars

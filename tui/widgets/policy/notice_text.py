"""One published version of the privacy notice: its version line, then its text."""

from __future__ import annotations

from rich.markdown import Markdown
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from store.clock import berlin, from_iso
from store.policy.versions import PolicyVersion
from store.text import sanitize
from tui.i18n import Translator
from tui.ssh_command import with_address


class NoticeText(Vertical):
    """Shared by the notice (F2) and the consent gate, so both show exactly the same text."""

    def __init__(self, version: PolicyVersion, t: Translator, address: str = "") -> None:
        """`address`: where people connect, filled into the ssh commands the notice names."""
        super().__init__(classes="notice-text")
        self._version = version
        self._t = t
        self._address = address

    def compose(self) -> ComposeResult:
        published = berlin(from_iso(self._version.published_at))
        yield Static(self._t("policy.version_line", version=self._version.label,
                             date=published.strftime(self._t("policy.date_format"))),
                     classes="notice-version", markup=False)
        # Parsed as Markdown, never as Rich markup; sanitised again for display. One Rich
        # renderable instead of Textual's Markdown widget (a widget per block): the notice
        # opens several times faster, which matters with many sessions on few cores.
        text = with_address(self._version.text(self._t.language), self._address)
        yield Static(Markdown(sanitize(text), hyperlinks=False))

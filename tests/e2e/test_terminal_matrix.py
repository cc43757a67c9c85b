"""Every screen in every kind of terminal a patient may have, at 80×24 and 200×50, over SSH.

Each case logs in through the real server with its TERM (and NO_COLOR), walks the screens the
way a person does, and checks a pyte snapshot of each: the catalog texts that must be visible
are there whole, nothing is wider than the terminal, the top bar and the footer's main keys are
in place, no text is drawn in its own background colour, a 16-colour terminal only gets the 16
colours, NO_COLOR no colour at all, and the Linux console only characters its font has.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

import pyte
import pytest
from pyte.screens import Char

from store.accounts.roles import Role
from store.clock import berlin
from store.rooms.requests import MAX_REQUEST_LENGTH
from tests.accounts import account_named
from tests.conftest import PASSWORD, START
from tests.sealed import post_as
from tests.sshclient import TerminalClient, connect
from tui.console_glyphs import LINUX_CONSOLE_REPERTOIRE, for_terminal
from tui.i18n import Translator

t = Translator("de")
NEW_PASSWORD = "ein-ganz-neues-passwort"
SIXTEEN = {"default"} | {f"{bright}{name}" for bright in ("", "bright")
                         for name in ("black", "red", "green", "yellow", "blue", "magenta",
                                      "cyan", "white")}


@dataclass(frozen=True)
class Terminal:
    term: str
    no_color: bool = False

    @property
    def name(self) -> str:
        return self.term + ("+NO_COLOR" if self.no_color else "")

    @property
    def env(self) -> dict[str, str]:
        return {"NO_COLOR": "1"} if self.no_color else {}

    @property
    def colours(self) -> set[str] | None:
        """The colours this terminal may be sent; None: any (256 colours)."""
        if self.no_color:
            return {"default"}
        return None if "256color" in self.term else SIXTEEN


TERMINALS = [Terminal("xterm-256color"), Terminal("xterm"), Terminal("linux"),
             Terminal("screen"), Terminal("tmux-256color"),
             Terminal("xterm-256color", no_color=True)]
SIZES = [(80, 24), (200, 50)]
# Every screen but those of the second factor and the idle lock (their own tests cover them).
SCREENS_WALKED = {"register", "register_notice", "recovery_code", "consent", "password_change",
                  "client_home", "request_form", "profile", "security", "room",
                  "counsellor_home", "admin_home", "notice", "help"}


def _flat(text: str) -> str:
    return " ".join(text.split())


def _contrast(fg: str, bg: str) -> int:
    """How far apart two pyte colours are: RGB distance for 256 colours, else same or not."""
    if re.fullmatch(r"[0-9a-f]{6}", fg) and re.fullmatch(r"[0-9a-f]{6}", bg):
        return sum(abs(int(fg[i:i + 2], 16) - int(bg[i:i + 2], 16)) for i in (0, 2, 4))
    return 0 if fg == bg else 765


class Snapshot:
    """One pyte screen, frozen, with the problems a reader would have with it."""

    def __init__(self, client: TerminalClient, terminal: Terminal, label: str) -> None:
        screen = client.screen
        self.label = label
        self.terminal = terminal
        self.width, self.height = screen.columns, screen.lines
        self.rows = list(screen.display)
        self._screen = screen
        self._glyphs = for_terminal(terminal.term)

    @cached_property
    def cells(self) -> list[list[Char]]:
        """Colours and attributes; read at once, before the screen changes (no await)."""
        buffer = self._screen.buffer
        return [[buffer[y][x] for x in range(self.width)] for y in range(self.height)]

    @property
    def text(self) -> str:
        return "\n".join(self.rows)

    def seen(self, text: str) -> str:
        """What `text` looks like on this terminal (the console's font lacks some glyphs)."""
        return _flat(text.translate(self._glyphs) if self._glyphs else text)

    def shows(self, text: str) -> bool:
        """Whole, in one piece, possibly wrapped over several lines."""
        return self.seen(text) in _flat(" ".join(self.rows))

    def focused_field(self) -> int | None:
        """Which text field, counted from the top, has the focus. In colour its frame stands
        out from the background (the others' hardly or not at all); without colour its
        cursor is the one reversed cell inside a frame."""
        top, left, right = self.seen("▔"), self.seen("▊"), self.seen("▎")
        tops = [y for y, row in enumerate(self.cells) if sum(c.data == top for c in row) >= 10]
        if self.terminal.no_color:
            marked = []
            for y in tops:
                inside = self.rows[y + 1] if y + 1 < self.height else ""
                start, end = inside.find(left), inside.find(right, inside.find(left) + 1)
                marked.append(0 <= start < end and any(
                    c.reverse for c in self.cells[y + 1][start + 1:end]))
            return marked.index(True) if marked.count(True) == 1 else None
        contrasts = [max(_contrast(c.fg, c.bg) for c in self.cells[y] if c.data == top)
                     for y in tops]
        best = max(contrasts, default=0)
        return contrasts.index(best) if best and contrasts.count(best) == 1 else None

    def look_of(self, text: str) -> set[tuple[str, bool, bool]]:
        """Background, reverse video and bold of the cells showing `text` (on one line)."""
        seen = self.seen(text)
        for y, row in enumerate(self.rows):
            x = row.find(seen)
            if x >= 0:
                return {(c.bg, c.reverse, c.bold) for c in self.cells[y][x:x + len(seen)]}
        raise AssertionError(f"{text!r} not on one line\n{self}")

    def problems(self, expected: Iterable[str]) -> list[str]:
        found = [f"{text!r} is not shown whole" for text in expected if not self.shows(text)]
        if not self.rows[0].startswith("wardroom ·"):
            found.append("no top bar on the first line")
        footer = " ".join(self.rows[-2:])  # keys that do not fit continue on a second row
        main_keys = (("Strg+Q", t("key.logout")), ("F1", t("help.key")), ("F2", t("key.notice")))
        for key, description in main_keys:
            if f"{key} {description}" not in footer:
                found.append(f"footer lacks '{key} {description}'")
        found += self._colour_problems()
        if self.terminal.term.startswith("linux"):
            missing = {ch for row in self.rows for ch in row} - LINUX_CONSOLE_REPERTOIRE
            if missing:
                found.append(f"not in the Linux console font: {sorted(missing)}")
        return found

    def _colour_problems(self) -> list[str]:
        found = set()
        allowed = self.terminal.colours
        for y, row in enumerate(self.cells):
            for char in row:
                fg, bg = (char.bg, char.fg) if char.reverse else (char.fg, char.bg)
                if allowed is not None:
                    found.update(f"colour {c!r} sent to {self.terminal.name}"
                                 for c in (fg, bg) if c not in allowed)
                if char.data.isalnum() and fg == bg and fg != "default":
                    found.add(f"line {y}: text in its own background colour {fg!r}")
        return sorted(found)

    def __str__(self) -> str:
        return f"--- {self.label} ({self.terminal.name} {self.width}x{self.height}) ---\n" + \
            self.text


class Walk:
    """One person's session in one terminal; every screen reached is checked."""

    def __init__(self, client: TerminalClient, terminal: Terminal) -> None:
        self.client = client
        self.terminal = terminal
        self.checked: list[str] = []

    async def at(self, label: str, *expected: str, wait: str | None = None) -> Snapshot:
        """Wait until the screen shows `wait` (else the first expected text) and has no
        problems; fail with the last snapshot if that does not happen."""
        needle = wait or expected[0]
        deadline = asyncio.get_running_loop().time() + 15
        while True:
            snapshot = Snapshot(self.client, self.terminal, label)
            problems = snapshot.problems(expected) if snapshot.shows(needle) else [
                f"never reached (waiting for {needle!r})"]
            if not problems or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.1)
        assert not problems, "\n".join(problems) + f"\n{snapshot}"
        self.checked.append(label)
        return snapshot

    async def keys(self, *keys: str) -> None:
        for key in keys:
            self.client.send(key)
            # A lone ESC waits for a possible sequence; anything sent at once would join it.
            await asyncio.sleep(0.3 if key == ESC else 0.05)

    async def fill(self, first: int, *values: str) -> None:
        """Type each value into the next field, from field `first` on, each ended by Enter.
        Keys sent before a field has the focus would land in the one before, so each waits
        for its field's frame."""
        for offset, value in enumerate(values):
            deadline = asyncio.get_running_loop().time() + 15
            while Snapshot(self.client, self.terminal, "").focused_field() != first + offset:
                assert asyncio.get_running_loop().time() < deadline, \
                    f"field {first + offset} never got the focus\n{self.client.text()}"
                await asyncio.sleep(0.1)
            await self.keys(value, ENTER)

    async def help_and_back(self, topic: str, back_to: str) -> None:
        await self.keys(F1)
        await self.at(f"help:{topic}", t("help.keys_heading"), t(f"help.screen.{topic}")[:40])
        await self.keys(ESC)
        await self.client.wait_gone(t("help.keys_heading"))
        await self.at(topic, back_to)


F1, F2, F7, ESC, DOWN, ENTER = "\x1bOP", "\x1bOQ", "\x1b[18~", "\x1b", "\x1b[B", "\r"


async def _world(wardroom) -> None:
    office = await wardroom.add_account("office", Role.ADMIN)
    await wardroom.add_account("klara", Role.CLIENT, accepted_policy=False,
                               must_change_password=True)
    bernd = await wardroom.add_account("bernd", Role.COUNSELLOR)
    await wardroom.add_account("berta", Role.COUNSELLOR)
    services = wardroom.services
    earlier = await services.bookings.create(office, "klara", "berta", weeks=1)
    berta = await account_named(services.accounts, "berta")
    await post_as(services, berta, earlier.id, "Alles Gute für die nächsten Wochen!")
    await services.bookings.end(office, earlier.id)
    now = await services.bookings.create(office, "klara", "bernd", weeks=2)
    await post_as(services, bernd, now.id, "Guten Morgen! Wie war die erste Nacht zu Hause?")
    wardroom.clock.advance(timedelta(minutes=5))


async def _visitor(port: int, terminal: Terminal, size: tuple[int, int]) -> list[str]:
    client = await connect(port, "register", "", size=size, term=terminal.term,
                           env=terminal.env)
    walk = Walk(client, terminal)
    try:
        await walk.at("register", t("register.title"), t("register.username"),
                      t("register.password", min=10))
        await walk.help_and_back("register", t("register.username"))
        await walk.fill(0, "neu.klient", NEW_PASSWORD, NEW_PASSWORD, "")
        await walk.at("register_notice", t("register.notice_title"), t("register.notice_hint"),
                      wait=t("register.notice_hint"))
        await walk.keys("a")
        await walk.at("recovery_code", t("recovery_code.title"), t("recovery_code.noted"))
        await walk.keys(ENTER)
        await walk.at("client_home: no booking", t("client_home.none"))
        await walk.keys("n")
        await walk.at("request_form", t("request_form.title"),
                      t("request_form.label", max=MAX_REQUEST_LENGTH))
        await walk.keys(ENTER)
        await walk.at("request_form: empty", t("request_form.empty"))
        await walk.keys(ESC)
        await walk.at("client_home", t("client_home.none"))
        await walk.keys("p")
        await walk.at("profile", t("profile.title"), t("profile.retention.heading"))
        await walk.keys(F7)
        await walk.at("security", t("security.title"), t("security.password"),
                      t("security.show_code"), t("security.keys"))
        await walk.keys(ESC)
        await walk.at("profile: back", t("profile.retention.heading"))
        await walk.keys(ESC)
    finally:
        await client.close()
    return walk.checked


async def _client(port: int, terminal: Terminal, size: tuple[int, int]) -> list[str]:
    client = await connect(port, "klara", PASSWORD, size=size, term=terminal.term,
                           env=terminal.env)
    walk = Walk(client, terminal)
    try:
        await walk.at("consent", t("consent.title"), wait=t("consent.accept_key"))
        await walk.keys("a")
        await walk.at("password_change", t("password.forced"), t("password.new", min=10))
        await walk.fill(0, NEW_PASSWORD, NEW_PASSWORD + "x")
        await walk.at("password_change: mismatch", t("password.mismatch"))
        # Both fields emptied, the cursor back in the first.
        await walk.fill(0, NEW_PASSWORD, NEW_PASSWORD)
        # One active booking: straight into its room.
        await walk.at("room", t("room.title", name="bernd"),
                      "Guten Morgen! Wie war die erste Nacht zu Hause?",
                      t("room.absent", name="bernd", role=t("role.counsellor")))
        await walk.help_and_back("room", t("room.title", name="bernd"))
        await walk.keys(ESC)
        home = await walk.at("client_home", t("client_home.bookings"),
                             t("client_home.unread", count=1).strip(" ·"),
                             "nur lesbar", wait="berta")
        # The first booking in the list is selected, and that shows in every terminal.
        for _ in range(50):
            if home.look_of("berta –") != home.look_of("bernd –"):
                break
            await asyncio.sleep(0.1)
            home = Snapshot(walk.client, terminal, "client_home")
        else:
            raise AssertionError(f"no row is shown selected\n{home}")
        text = home.seen(home.text)
        ended_first = text.index(home.seen("berta –")) < text.index(home.seen("bernd –"))
        await walk.keys(*([] if ended_first else [DOWN]), ENTER)
        deletes = berlin(START + timedelta(days=56)).strftime(t("room.date_format"))
        await walk.at("room: read-only", t("room.title", name="berta"),
                      "Alles Gute für die nächsten Wochen!",
                      t("room.read_only", date=deletes), wait="Alles Gute")
        await walk.keys(ESC)
        await walk.at("client_home: read", "berta")
    finally:
        await client.close()
    return walk.checked


async def _counsellor(port: int, terminal: Terminal, size: tuple[int, int]) -> list[str]:
    client = await connect(port, "bernd", PASSWORD, size=size, term=terminal.term,
                           env=terminal.env)
    walk = Walk(client, terminal)
    try:
        await walk.at("counsellor_home", t("counsellor_home.title"), "klara",
                      t("counsellor_home.column_unread"))
        await walk.help_and_back("counsellor_home", t("counsellor_home.column_unread"))
        await walk.keys(ENTER)
        await walk.at("room", t("room.title", name="klara"),
                      "Guten Morgen! Wie war die erste Nacht zu Hause?")
    finally:
        await client.close()
    return walk.checked


async def _admin(port: int, terminal: Terminal, size: tuple[int, int]) -> list[str]:
    client = await connect(port, "office", PASSWORD, size=size, term=terminal.term,
                           env=terminal.env)
    walk = Walk(client, terminal)
    try:
        await walk.at("admin_home", t("admin_home.title"), t("admin_home.counsellors_heading"))
        await walk.help_and_back("admin_home", t("admin_home.counsellors_heading"))
        await walk.keys(F2)
        await walk.at("notice", t("notice.title"))
        await walk.keys(ESC)
    finally:
        await client.close()
    return walk.checked


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("terminal", TERMINALS, ids=lambda term: term.name)
async def test_every_screen_in_every_terminal(wardroom, terminal, size):
    await _world(wardroom)
    # Four people at once, as on a real server; each walk checks every screen it reaches.
    walks = await asyncio.gather(*(walk(wardroom.port, terminal, size)
                                   for walk in (_visitor, _client, _counsellor, _admin)))
    screens = {label.split(":")[0] for walk in walks for label in walk}
    assert screens == SCREENS_WALKED


def test_pyte_names_colours_as_this_test_expects():
    screen = pyte.Screen(10, 1)
    pyte.ByteStream(screen).feed(b"\x1b[91;40mx")
    assert (screen.buffer[0][0].fg, screen.buffer[0][0].bg) == ("brightred", "black")
    assert re.fullmatch(r"[0-9a-f]{6}", _hex_of(b"\x1b[38;5;200mx"))


def _hex_of(sequence: bytes) -> str:
    screen = pyte.Screen(10, 1)
    pyte.ByteStream(screen).feed(sequence)
    return screen.buffer[0][0].fg

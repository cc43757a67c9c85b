"""Settings: defaults, then a TOML file, then WARDROOM_* environment, then command-line flags.

Each value remembers where it came from, so an operator can see why a setting is what it is.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A setting is unknown or has a bad value; the message names the key."""


@dataclass
class Settings:
    listen: str = "127.0.0.1:2222"
    db: str = "wardroom.db"
    host_keys: str = "host_keys"
    registration: bool = True
    idle_lock_minutes: int = 15
    idle_logout_minutes: int = 15  # after the lock, before the session ends
    login_timeout_seconds: int = 30
    max_auth_attempts: int = 3
    connection_rate_per_address: int = 5  # new connections per second, bursts of twice that
    max_pending_logins_per_address: int = 10
    second_factor_required: bool = True  # TOTP for counsellors and admins
    retention_interval_minutes: int = 5
    pq_only: bool = False
    sources: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def host(self) -> str:
        return split_listen(self.listen)[0]

    @property
    def port(self) -> int:
        return split_listen(self.listen)[1]


SETTING_NAMES = tuple(f.name for f in fields(Settings) if f.name != "sources")
# SPEC: a connection gets at most 30 s to log in.
_MAXIMA = {"login_timeout_seconds": 30}


def split_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"listen: expected HOST:PORT, got {listen!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def _coerce(name: str, value: Any) -> Any:
    default = getattr(Settings, name)
    try:
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if isinstance(default, int):
            number = int(value)
            if number <= 0 or number > _MAXIMA.get(name, number):
                raise ValueError(value)
            return number
        if not isinstance(value, str) or not value:
            raise ValueError(value)
        if name == "listen":
            split_listen(value)
        return value
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{name}: bad value {value!r}") from error


def load_settings(config_file: str | None = None, flags: dict[str, Any] | None = None,
                  environ: dict[str, str] | None = None) -> Settings:
    settings = Settings()
    settings.sources = {name: "default" for name in SETTING_NAMES}
    environ = dict(os.environ if environ is None else environ)
    config_file = config_file or environ.get("WARDROOM_CONFIG")

    def put(name: str, value: Any, source: str) -> None:
        if name not in SETTING_NAMES:
            raise ConfigError(f"{name}: unknown setting (from {source})")
        setattr(settings, name, _coerce(name, value))
        settings.sources[name] = source

    if config_file:
        path = Path(config_file)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise ConfigError(f"config: file not found: {path}") from error
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"config: {path} is not valid TOML: {error}") from error
        for name, value in data.items():
            put(name.replace("-", "_"), value, f"file {path}")
    for key, value in environ.items():
        if key.startswith("WARDROOM_") and key != "WARDROOM_CONFIG":
            put(key.removeprefix("WARDROOM_").lower(), value, f"env {key}")
    for name, value in (flags or {}).items():
        if value is not None:
            put(name, value, "flag")
    return settings

"""Settings: defaults, then a TOML file, then WARDROOM_* environment, then command-line flags.

Each value remembers where it came from, so an operator can see why a setting is what it is.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import tomllib
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from sshd_app.proxy_protocol import trusted_networks
from store.backup.backups import BackupPlan
from store.backup.key import KeyFileError, check_placement, load_recipients
from store.database import is_postgres_url
from store.deletion.storage_limits import StorageLimits

log = logging.getLogger(__name__)

# Looked for next to the database when no --config / WARDROOM_CONFIG names a file.
CONFIG_FILENAME = "wardroom.toml"
# A host name or address, optionally with a port: it is shown to people as part of a command.
_PUBLIC_ADDRESS = re.compile(r"(|([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(:[0-9]{1,5})?)")
# More server processes than this is a typo rather than a machine: each costs its memory and
# a database connection.
MAX_WORKERS = 64


class ConfigError(ValueError):
    """A setting is unknown or has a bad value; the message names the key."""


@dataclass
class Settings:
    listen: str = "127.0.0.1:2222"
    public_address: str = ""
    db: str = "wardroom.db"
    host_keys: str = "host_keys"
    registration: bool = True
    idle_lock_minutes: int = 15
    idle_logout_minutes: int = 15
    login_timeout_seconds: int = 30
    max_auth_attempts: int = 3
    connection_rate_per_address: int = 5
    max_pending_logins_per_address: int = 10
    second_factor_required: bool = True
    retention_interval_minutes: int = 5
    request_retention_weeks: int = 8
    inactive_client_months: int = 12
    audit_retention_days: int = 365
    pq_only: bool = False
    backup_destinations: tuple[str, ...] = ()
    backup_key_file: str = ""
    backup_interval_hours: int = 24
    backup_max_age_days: int = 56
    workers: int = min(os.cpu_count() or 1, MAX_WORKERS)
    trusted_proxies: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    config_file: str | None = field(default=None, repr=False, compare=False)

    @property
    def host(self) -> str:
        return split_listen(self.listen)[0]

    @property
    def port(self) -> int:
        return split_listen(self.listen)[1]

    @property
    def ssh_address(self) -> str:
        """HOST:PORT as people type it in `ssh`: public_address, else where the server
        listens (this machine's name when it listens on every address)."""
        if self.public_address:
            return self.public_address
        host, port = split_listen(self.listen)
        if host in ("0.0.0.0", "::"):
            host = socket.getfqdn()
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# One line per setting: the default config file and `config show` say it, docs are tested on it.
EXPLANATIONS = {
    "listen": "Address and port to listen on, HOST:PORT (0.0.0.0 or [::] for every address).",
    "public_address": "The address people connect to, HOST or HOST:PORT (for example "
                      "beratung.example:2222), as screens and the notice show it in ssh "
                      "commands; empty: the listen address.",
    "db": ("The SQLite database file (its -wal and -shm files live beside it), or a "
           "postgresql:// URL for several nodes on one PostgreSQL database."),
    "host_keys": "Folder of the host keys; missing keys are generated (Ed25519, RSA-4096).",
    "registration": "Whether new clients may register themselves with `ssh register@HOST`.",
    "idle_lock_minutes": "Minutes without input after which a session locks its screen.",
    "idle_logout_minutes": "Minutes a locked session waits before it ends.",
    "login_timeout_seconds": "Seconds a new connection has to log in (at most 30).",
    "max_auth_attempts": "Failed login attempts per connection before it is disconnected.",
    "connection_rate_per_address": "New connections per second from one address "
                                   "(bursts of twice that).",
    "max_pending_logins_per_address": "Connections from one address that may be logging in "
                                      "at the same time.",
    "second_factor_required": "Whether counsellors and staff must enter a one-time code (TOTP) "
                              "after the password.",
    "retention_interval_minutes": "Minutes between two runs of the task that deletes rooms "
                                  "past their deletion date.",
    "request_retention_weeks": "Weeks after which a request nobody matched is deleted (the "
                               "client is told the date when filing it).",
    "inactive_client_months": "Months without a booking and without a login after which a "
                              "client account is erased with everything it holds.",
    "audit_retention_days": "Days an audit entry is kept before it is deleted.",
    "pq_only": "Offer only the post-quantum key exchange; clients older than OpenSSH 9.9 "
               "cannot connect.",
    "backup_destinations": "Directories that each receive every encrypted backup (one per "
                           "site); a list, or paths joined by ':' in the environment.",
    "backup_key_file": "The age recipients (public keys) backups are encrypted to, made by "
                       "`wardroom keygen`; outside the database directory and the "
                       "destinations.",
    "backup_interval_hours": "Hours between two scheduled backups.",
    "backup_max_age_days": "Days after which a backup is deleted (at most 56, 8 weeks).",
    "workers": "Server processes sharing the port, so that sessions use every core "
               f"(at most {MAX_WORKERS}).",
    "trusted_proxies": "Load balancers (addresses or CIDR networks) that must begin each "
                       "connection with a PROXY protocol v2 header naming the client; "
                       "empty: none, and any PROXY header is refused.",
}
# Defaults that depend on the machine: the docs say how they are found, not this one's value.
MACHINE_DEFAULTS = {"workers": "the number of cores"}

SETTING_NAMES = tuple(f.name for f in fields(Settings) if f.name not in ("sources", "config_file"))
# SPEC: a connection gets at most 30 s to log in.
_MAXIMA = {"login_timeout_seconds": 30, "backup_max_age_days": 56, "workers": MAX_WORKERS}
# IPv6 addresses hold ':', so this list is joined by ',' in the environment.
_ENV_LIST_SEPARATORS = {"trusted_proxies": ","}


def storage_limits(settings: Settings) -> StorageLimits:
    """The limits of what is kept besides ward rooms, as the store takes them."""
    return StorageLimits(request_weeks=settings.request_retention_weeks,
                         inactive_client_months=settings.inactive_client_months,
                         audit_days=settings.audit_retention_days)


def backup_plan(settings: Settings) -> BackupPlan:
    """The backup settings, checked: recipients are needed once there are destinations, and
    their file lies neither beside the database nor in a destination."""
    destinations = tuple(dict.fromkeys(Path(d) for d in settings.backup_destinations))
    key_file = Path(settings.backup_key_file) if settings.backup_key_file else None
    if destinations:
        if key_file is None:
            raise ConfigError("backup_key_file: needed when backup_destinations is set "
                              "(make one with `wardroom keygen`)")
        try:
            check_placement(key_file, local_database(settings), destinations)
            load_recipients(key_file)
        except KeyFileError as error:
            raise ConfigError(f"backup_key_file: {error}") from None
    return BackupPlan(destinations, key_file, timedelta(days=settings.backup_max_age_days),
                      timedelta(hours=settings.backup_interval_hours))


def env_name(name: str) -> str:
    return f"WARDROOM_{name.upper()}"


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def split_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"listen: expected HOST:PORT, got {listen!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def _kind(name: str) -> type:
    return type(getattr(Settings, name))


def _optional(name: str) -> bool:
    """A text setting that is off by default (empty): setting it empty is allowed."""
    return getattr(Settings, name) == ""


def _coerce(name: str, value: Any, typed: bool, label: str) -> Any:
    """`typed` values come from TOML and must already have the setting's type; environment
    and flag values are text and are converted. Errors name the key as `label` spells it."""
    kind = _kind(name)
    try:
        if kind is tuple:
            items = _coerce_list(value, typed, _ENV_LIST_SEPARATORS.get(name, os.pathsep))
            if name == "trusted_proxies":
                trusted_networks(items)
            return items
        if typed and type(value) is not kind:
            raise TypeError(value)
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if kind is int:
            number = int(value)
            if number <= 0 or number > _MAXIMA.get(name, number):
                raise ValueError(value)
            return number
        # A text whose default is empty ("none") may be set to that default again.
        if not isinstance(value, str) or not (value or _optional(name)):
            raise ValueError(value)
        if name == "listen":
            split_listen(value)
        if name == "public_address" and not _PUBLIC_ADDRESS.fullmatch(value):
            raise ValueError(value)
        return value
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{label}: bad value {value!r}, expected {_expected(name)}") from error


def _coerce_list(value: Any, typed: bool, separator: str) -> tuple[str, ...]:
    """A TOML array of texts; from the environment or a flag, texts joined by `separator`
    (':' like PATH for paths)."""
    if typed:
        items = value
    else:
        # An empty variable is the empty list (the default), not a list of one empty path.
        text = str(value)
        items = text.split(separator) if text else []
    if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
        raise TypeError(value)
    return tuple(items)


def _expected(name: str) -> str:
    kind = _kind(name)
    if name == "trusted_proxies":
        return "a list of IP addresses or networks such as \"10.0.0.0/24\""
    if kind is tuple:
        return "a list of non-empty texts"
    if kind is bool:
        return "true or false"
    if kind is int:
        limit = _MAXIMA.get(name)
        return f"a whole number from 1 to {limit}" if limit else "a whole number above 0"
    if name == "listen":
        return "HOST:PORT"
    if name == "public_address":
        return "HOST or HOST:PORT, or empty"
    return "a text" if _optional(name) else "a non-empty text"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError(f"config: file not found: {path}") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"config: {path} is not valid TOML: {error}") from error
    except OSError as error:
        raise ConfigError(f"config: cannot read {path}: {error.strerror}") from error


def load_settings(config_file: str | None = None, flags: dict[str, Any] | None = None,
                  environ: dict[str, str] | None = None) -> Settings:
    """The effective settings. Without a named file, `wardroom.toml` beside the database is
    read if it exists (the database's place taken from flags, environment or default)."""
    settings = Settings()
    settings.sources = {name: "default" for name in SETTING_NAMES}
    environ = dict(os.environ if environ is None else environ)
    flags = {name: value for name, value in (flags or {}).items() if value is not None}
    config_file = config_file or environ.get("WARDROOM_CONFIG")

    def put(name: str, value: Any, source: str, label: str, typed: bool = False) -> None:
        if name not in SETTING_NAMES:
            raise ConfigError(f"{label}: unknown setting")
        setattr(settings, name, _coerce(name, value, typed, label))
        settings.sources[name] = source

    path = Path(config_file) if config_file else None
    if path is None:
        beside = default_config_path(str(flags.get("db") or environ.get("WARDROOM_DB")
                                         or settings.db))
        path = beside if beside.is_file() else None
    if path is not None:
        settings.config_file = str(path)
        for key, value in _read_toml(path).items():
            put(key.replace("-", "_"), value, "file", f"{key} (in {path})", typed=True)
    for key, value in environ.items():
        if key.startswith("WARDROOM_") and key != "WARDROOM_CONFIG":
            put(key.removeprefix("WARDROOM_").lower(), value, f"env {key}", key)
    for name, value in flags.items():
        put(name, value, f"flag {flag_name(name)}", flag_name(name))
    return settings


def local_database(settings: Settings) -> Path | None:
    """The SQLite file, or None for a PostgreSQL database (which has no file here)."""
    return None if is_postgres_url(settings.db) else Path(settings.db)


def default_config_path(db: str) -> Path:
    """Beside the SQLite file; for a PostgreSQL database, in the working directory."""
    if is_postgres_url(db):
        return Path(CONFIG_FILENAME)
    return Path(db).parent / CONFIG_FILENAME


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def default_config_text() -> str:
    # Prose starts with '##' and each setting with '#': whichever line an operator uncomments
    # by removing its leading '#', the file stays valid (prose stays a comment).
    lines = [
        "## wardroom configuration (TOML), written by the first `wardroom serve`.",
        "## Every setting is listed with its default, commented out: remove the leading '#'",
        "## of a line to change it, then restart the server. Command-line flags win over",
        "## WARDROOM_* environment variables, which win over this file.",
        "## `wardroom config show` prints the effective settings and where each comes from.",
    ]
    for name in SETTING_NAMES:
        machine = f" Default: {MACHINE_DEFAULTS[name]}." if name in MACHINE_DEFAULTS else ""
        lines += ["", f"## {EXPLANATIONS[name]}{machine}  (env {env_name(name)})",
                  f"# {name} = {_toml_value(getattr(Settings, name))}"]
    return "\n".join(lines) + "\n"


def write_default_config(settings: Settings) -> Path | None:
    """On a first start without any config file: leave a commented one beside the database."""
    if settings.config_file is not None:
        return None
    path = default_config_path(settings.db)
    try:
        # O_EXCL: a file that appeared meanwhile is the operator's, never overwritten.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return None
    except OSError as error:
        log.warning("could not write the default configuration to %s: %s", path,
                    error.strerror)
        return None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(default_config_text())
    return path


def describe(settings: Settings, as_json: bool = False) -> str:
    """`wardroom config show`: each effective value and where it came from."""
    if as_json:
        return json.dumps({
            "config_file": settings.config_file,
            "settings": {name: {"value": getattr(settings, name),
                                "source": settings.sources.get(name, "default")}
                         for name in SETTING_NAMES},
        }, indent=2) + "\n"
    rows = [("setting", "value", "from")] + [
        (name, _toml_value(getattr(settings, name)), settings.sources.get(name, "default"))
        for name in SETTING_NAMES]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in rows]
    lines.append("")
    lines.append(f"config file: {settings.config_file or 'none'}")
    return "\n".join(lines) + "\n"

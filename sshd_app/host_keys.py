"""Server host keys: generated on first start (Ed25519 and RSA-4096, mode 0600), then loaded."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import asyncssh

log = logging.getLogger(__name__)

_KEYS = (("ssh_host_ed25519_key", "ssh-ed25519", {}),
         ("ssh_host_rsa_key", "ssh-rsa", {"key_size": 4096}))


def ensure_host_keys(directory: Path) -> list[asyncssh.SSHKey]:
    """Load the host keys, creating any that are missing; log their fingerprints."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    keys = []
    for filename, algorithm, options in _KEYS:
        path = directory / filename
        if path.exists():
            key = asyncssh.read_private_key(path)
        else:
            key = asyncssh.generate_private_key(algorithm, **options)
            # Create with 0600 from the start: no window in which the key is world-readable.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(key.export_private_key())
            key.write_public_key(str(path) + ".pub")
            log.info("generated host key %s", path)
        keys.append(key)
        log.info("host key %s %s", key.get_algorithm(), fingerprint(key))
    return keys


def fingerprint(key: asyncssh.SSHKey) -> str:
    return key.get_fingerprint("sha256")

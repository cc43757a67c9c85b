"""wardroom's SSH edge: server, authentication, session dispatch, commands and the CLI."""

__version__ = "0.1.0"

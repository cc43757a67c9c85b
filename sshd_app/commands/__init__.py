"""Exec commands: the admin tree (one module per group) and the per-account commands.

sshd_app/commands/registry.py lists them; importing this package imports none of them.
"""

"""Backups (age files to recipients only) and restore."""

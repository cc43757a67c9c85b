"""Sealed ward rooms: account key pairs, room keys and message encryption.

The construction and the threat model are in docs/security-model.md.
"""

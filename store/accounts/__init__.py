"""Accounts: who someone is, how they prove it, what staff may do."""

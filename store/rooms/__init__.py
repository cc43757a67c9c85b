"""Requests, bookings and the ward rooms they open."""

"""Reverse DNS (PTR) management."""

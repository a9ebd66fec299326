"""Contracts, configuration and plumbing shared by the gateway, allocator and notifier."""

"""Helpers for tests that talk to the real PostgreSQL and RabbitMQ."""

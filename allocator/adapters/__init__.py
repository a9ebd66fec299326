"""Postgres and RabbitMQ adapters of the allocator."""

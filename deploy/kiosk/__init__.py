"""Kiosk client: commands straight to RabbitMQ, token slips."""

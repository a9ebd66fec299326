"""The gateway: REST in front of the command bus; reads from Postgres through a read-only role."""

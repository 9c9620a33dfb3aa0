"""Embedded development services: PostgreSQL (+pgvector, pg_trgm), Redis and a Kafka-protocol broker.

Each is a real server started from a PyPI wheel or a Debian package and run as a foreground child of
one supervisor, so stopping the supervisor stops everything. For development and tests only —
production runs the services of compose.yaml.
"""

"""Use cases: plain functions over a SQLAlchemy session. Each commits once, or not at all."""

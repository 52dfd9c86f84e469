"""Domain primitives every feature shares: no Flask, no SQLAlchemy, no HTTP."""

"""Persistence shared by every feature: the declarative base, engine settings and the unit of work."""

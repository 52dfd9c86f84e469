"""Authentication: registration and login, rotating refresh sessions, the caller behind each token."""

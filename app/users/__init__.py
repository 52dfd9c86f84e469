"""User accounts: the rules of who may read, change and delete them, and their HTTP endpoints."""

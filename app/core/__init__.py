"""Cross-cutting pieces shared by every feature; nothing here imports a feature."""

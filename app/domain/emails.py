"""The one spelling of an address that uniqueness, login and rate limits agree on."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def mask_email(address: str) -> str:
    """The domain only: enough to recognise an address in a log or a notice, not to harvest it."""
    local, _, domain = address.partition("@")
    return f"***@{domain}" if local and domain else "***"

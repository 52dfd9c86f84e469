"""The one spelling of an address that uniqueness, login and rate limits agree on."""


def normalize_email(email: str) -> str:
    return email.strip().lower()

"""The addresses Keel accepts, and the one spelling of each that uniqueness, login and budgets agree on.

Only dot-atom addresses: no quoted local part (`"hank"@example.com`) and no domain literal
(`user@[10.0.0.5]`). Mail servers deliver those to the same mailbox as a plain address, so
accepting them would let one mailbox hold any number of accounts. The domain is normalised with
IDNA (UTS #46, the mapping browsers and mail clients use) to its ASCII form, so `ÄBC.example` and
`xn--bc-uia.example` are one address, and the form stored is the one SMTP delivers to.
"""

from __future__ import annotations

import unicodedata

import idna

MAX_LENGTH = 254
_MAX_LOCAL_LENGTH = 64
# RFC 5322 atext; RFC 6531 adds any non-ASCII character, of which letters, marks and digits are kept.
_ATEXT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~")


class InvalidEmail(ValueError):
    """Not a dot-atom address with a domain name (the message says which part is wrong)."""


def canonical_email(text: str) -> str:
    """`local@domain` with the local part in NFC and the domain in IDNA ASCII form, or InvalidEmail."""
    local, at, domain = text.strip().rpartition("@")
    if not at or not local or not domain:
        raise InvalidEmail("Must be an address of the form name@domain.")
    return f"{_local_part(local)}@{_domain(domain)}"


def normalize_email(email: str) -> str:
    """The comparison key: the canonical address in lower case. Never raises: text that is no
    valid address (a login attempt, a reset request) still gets a stable key, and finds no account."""
    try:
        return canonical_email(email).lower()
    except InvalidEmail:
        return email.strip().lower()


def mask_email(address: str) -> str:
    """The domain only: enough to recognise an address in a log or a notice, not to harvest it."""
    local, _, domain = address.partition("@")
    return f"***@{domain}" if local and domain else "***"


def _local_part(local: str) -> str:
    local = unicodedata.normalize("NFC", local)
    if local.startswith('"'):
        raise InvalidEmail("Quoted names before the @ are not accepted.")
    if len(local.encode()) > _MAX_LOCAL_LENGTH:
        raise InvalidEmail(f"The part before the @ must be at most {_MAX_LOCAL_LENGTH} bytes.")
    for atom in local.split("."):
        if not atom or not all(_is_atext(char) for char in atom):
            raise InvalidEmail("The part before the @ has a character or dot that is not accepted.")
    return local


def _is_atext(char: str) -> bool:
    return char in _ATEXT or (not char.isascii() and unicodedata.category(char)[0] in "LMN")


def _domain(domain: str) -> str:
    if domain.startswith("["):
        raise InvalidEmail("Addresses with an IP address instead of a domain name are not accepted.")
    try:
        ascii_domain = idna.encode(domain, uts46=True, std3_rules=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise InvalidEmail("The domain is not a valid domain name.") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or "" in labels or labels[-1].isdigit():
        raise InvalidEmail("The domain must be a domain name such as example.com.")
    return ascii_domain

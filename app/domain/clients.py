"""The client behind a request, as far as a session, a limit or an audit line needs to know it."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass

USER_AGENT_MAX_LENGTH = 256
# An IPv6 subscriber gets a /64 and its hosts pick addresses within it freely, so a per-address
# budget counts the prefix (RFC 6177; Cloudflare, Keycloak's brute-force guard and others do the same).
IPV6_LIMIT_PREFIX = 64
# Longer than any address with a zone and a port; longer text is no address, and is not parsed.
_MAX_ADDRESS_TEXT = 100
_WITH_PORT = re.compile(r"\[(?P<v6>[^\]]+)\]:(?P<port6>[0-9]{1,5})|(?P<v4>[0-9.]+):(?P<port4>[0-9]{1,5})")


def normalised_address(value: str | None) -> str | None:
    """The one spelling of an IP address, or None when the value is none.

    IPv4-mapped IPv6 (`::ffff:192.0.2.1`) becomes IPv4, IPv6 is compressed and lower case, and a zone
    (`%eth0`) or a port (`192.0.2.1:443`, `[2001:db8::1]:443`) is dropped: the same client is one
    key for limits, one value for sessions and audit, and never text a client chose.
    """
    if not value or len(value) > _MAX_ADDRESS_TEXT:
        return None
    text = value.strip()
    with_port = _WITH_PORT.fullmatch(text)
    if with_port is not None:
        text = with_port["v6"] or with_port["v4"]
    elif text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Address(address.packed))  # rebuilt from its bits: no zone
    return str(address)


def stored_user_agent(value: str | None) -> str | None:
    """A User-Agent as sessions and the audit trail keep it: bounded, each control character (NUL
    among them, which PostgreSQL cannot store) shown as U+FFFD. A client's header is description,
    never a reason to refuse its request."""
    agent = (value or "")[:USER_AGENT_MAX_LENGTH]
    return "".join("\ufffd" if unicodedata.category(char) == "Cc" else char for char in agent) or None


def limit_key(address: str) -> str:
    """What a per-address limit counts: an IPv4 address, or the /64 an IPv6 address belongs to."""
    parsed = normalised_address(address)
    if parsed is None:
        return address
    if ":" in parsed:
        return str(ipaddress.IPv6Network((parsed, IPV6_LIMIT_PREFIX), strict=False))
    return parsed


@dataclass(frozen=True, slots=True)
class Client:
    address: str | None
    user_agent: str | None

    @classmethod
    def of(cls, address: str | None, user_agent: str | None) -> Client:
        """Bounded to what a session stores, so a retry compares equal to what was stored."""
        return cls(address=normalised_address(address), user_agent=stored_user_agent(user_agent))

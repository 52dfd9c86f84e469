"""The parts of mail that need no server: the SMTP URL, the templates, what errors may say."""

from __future__ import annotations

import pytest

from app.domain.emails import mask_email
from app.mail.rendering import render
from app.mail.smtp import SmtpEndpoint
from app.outbox.service import describe


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", ("mail.example.com", 25, False, False, None, None)),
        ("smtp://mail.example.com:587?starttls=true", ("mail.example.com", 587, False, True, None, None)),
        ("smtps://keel:p%40ss@mail.example.com", ("mail.example.com", 465, True, False, "keel", "p@ss")),
        ("smtp://u:pw@127.0.0.1:2525?starttls=false", ("127.0.0.1", 2525, False, False, "u", "pw")),
    ],
)
def test_smtp_urls_parse(url: str, expected: tuple[object, ...]) -> None:
    endpoint = SmtpEndpoint.parse(url)
    assert (
        endpoint.host,
        endpoint.port,
        endpoint.implicit_tls,
        endpoint.starttls,
        endpoint.username,
        endpoint.password,
    ) == expected


@pytest.mark.parametrize(
    "url",
    ["http://mail.example.com", "smtp://", "mail.example.com:25", "smtps://mail.example.com?starttls=true"],
)
def test_bad_smtp_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="smtp"):
        SmtpEndpoint.parse(url)


def test_html_bodies_are_autoescaped_and_text_bodies_are_not_html() -> None:
    mail = render(
        "password_reset",
        to="a@example.com",
        context={
            "name": '<script>alert("x")</script>',
            "link": "https://app.example.com/r?token=a&b",
            "valid_minutes": 30,
        },
    )
    assert "<script>" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert 'href="https://app.example.com/r?token=a&amp;b"' in mail.html
    assert '<script>alert("x")</script>' in mail.text
    assert mail.subject == "Reset your password"


def test_a_template_missing_a_value_is_an_error_not_an_empty_link() -> None:
    with pytest.raises(Exception, match="link"):
        render("verify_email", to="a@example.com", context={"name": "Ann"})


def test_unknown_templates_are_refused() -> None:
    with pytest.raises(ValueError, match="no mail template"):
        render("../../etc/passwd", to="a@example.com", context={})


def test_errors_are_described_without_addresses() -> None:
    error = OSError("550 5.1.1 <bob.smith@example.com>: Recipient address rejected; also 'eve@corp.test'")
    described = describe(error)
    assert described.startswith("OSError: 550 5.1.1")
    assert "bob.smith" not in described
    assert "eve@corp.test" not in described
    assert len(describe(OSError("x" * 1000))) == 300


def test_masked_addresses_keep_only_the_domain() -> None:
    assert mask_email("ann.lee@example.com") == "***@example.com"
    assert mask_email("no-at-sign") == "***"
    assert mask_email("@example.com") == "***"

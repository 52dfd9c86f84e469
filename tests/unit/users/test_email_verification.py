"""Email verification rules: the mail recorded with the change, the token bound to the address."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer

from app.domain.errors import InvalidInput
from app.users.errors import InvalidVerificationToken
from app.users.service import NewUser, UserChanges, UserService
from tests.fakes import FakeClock, FakeUnitOfWork, principal_of
from tests.unit.users.conftest import VERIFY_TTL

PASSWORD = "Quiet-Harbour-Lantern-42"


def token_of(uow: FakeUnitOfWork, index: int = -1) -> str:
    link = uow.outbox.messages[index].payload["context"]["link"]
    found = re.search(r"token=([^&]+)", link)
    assert found is not None
    return found.group(1)


def register(service: UserService, email: str = "ann@example.com") -> object:
    return service.register(NewUser(email=email, password=PASSWORD, name="Ann"))


def test_registration_records_the_verification_mail_with_the_account(
    service: UserService, uow: FakeUnitOfWork
) -> None:
    user = register(service)
    [message] = uow.outbox.messages
    assert message.kind == "mail.send"
    assert message.payload["template"] == "verify_email"
    assert message.payload["to"] == "ann@example.com"
    assert message.payload["context"]["link"].startswith("https://app.example.com/verify-email?token=")
    assert user.email_verified is False  # type: ignore[attr-defined]


def test_a_refused_registration_records_no_mail(service: UserService, uow: FakeUnitOfWork) -> None:
    register(service)
    with pytest.raises(Exception, match="exists"):
        register(service, " ANN@example.com")
    assert len(uow.outbox.messages) == 1


def test_the_token_verifies_the_address_and_a_replay_changes_nothing(
    service: UserService, uow: FakeUnitOfWork
) -> None:
    user = register(service)
    token = token_of(uow)
    service.verify_email(token)
    assert user.email_verified is True  # type: ignore[attr-defined]
    service.verify_email(token)
    assert user.email_verified is True  # type: ignore[attr-defined]


def test_an_expired_or_forged_token_is_refused(
    service: UserService, uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    user = register(service)
    token = token_of(uow)
    for forged in ("", "garbage", token[:-2] + ("AA" if not token.endswith("AA") else "BB")):
        with pytest.raises(InvalidVerificationToken):
            service.verify_email(forged)
    clock.advance(VERIFY_TTL + timedelta(seconds=1))
    with pytest.raises(InvalidVerificationToken):
        service.verify_email(token)
    assert user.email_verified is False  # type: ignore[attr-defined]


def test_a_new_address_starts_unverified_mails_both_and_old_tokens_prove_nothing(
    service: UserService, uow: FakeUnitOfWork
) -> None:
    user = register(service)
    old_token = token_of(uow)
    service.verify_email(old_token)
    actor = principal_of(user)  # type: ignore[arg-type]
    service.update(
        actor, user.id, UserChanges(values={"email": "new@example.org"}, current_password=PASSWORD)
    )  # type: ignore[attr-defined]
    assert user.email_verified is False  # type: ignore[attr-defined]
    verify, notice = uow.outbox.messages[-2:]
    assert (verify.payload["template"], verify.payload["to"]) == ("verify_email", "new@example.org")
    assert (notice.payload["template"], notice.payload["to"]) == ("email_changed", "ann@example.com")
    assert notice.payload["context"]["new_address"] == "***@example.org"
    with pytest.raises(InvalidVerificationToken):
        service.verify_email(old_token)
    service.verify_email(token_of(uow, -2))
    assert user.email_verified is True  # type: ignore[attr-defined]


def test_resend_mails_only_an_unverified_address(service: UserService, uow: FakeUnitOfWork) -> None:
    user = register(service)
    actor = principal_of(user)  # type: ignore[arg-type]
    service.resend_verification(actor)
    assert len(uow.outbox.messages) == 2
    service.verify_email(token_of(uow))
    service.resend_verification(actor)
    assert len(uow.outbox.messages) == 2


def decoded_payload(token: str) -> bytes:
    """The signed payload of a token as anyone holding the link can read it (base64, maybe zlib)."""
    compressed = token.startswith(".")
    body = token.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return zlib.decompress(raw) if compressed else raw


def test_the_token_carries_no_address_in_clear(service: UserService, uow: FakeUnitOfWork) -> None:
    register(service, "ann.lee@example.com")
    payload = decoded_payload(token_of(uow)).lower()
    assert b"@" not in payload
    assert b"ann" not in payload
    assert b"example" not in payload


def test_the_token_proves_the_address_in_any_spelling(service: UserService, uow: FakeUnitOfWork) -> None:
    user = register(service, "Ann@Example.com")
    service.verify_email(token_of(uow))
    assert user.email_verified is True  # type: ignore[attr-defined]


def test_an_email_change_voids_every_reset_link_of_the_account(
    service: UserService, uow: FakeUnitOfWork
) -> None:
    user = register(service)
    actor = principal_of(user)  # type: ignore[arg-type]
    service.update(actor, user.id, UserChanges(values={"name": "Ann Lee"}))  # type: ignore[attr-defined]
    assert uow.reset_tokens.voided == []
    service.update(
        actor, user.id, UserChanges(values={"email": "new@example.org"}, current_password=PASSWORD)
    )  # type: ignore[attr-defined]
    assert uow.reset_tokens.voided == [user.id]  # type: ignore[attr-defined]


def test_mail_to_an_unverified_address_names_no_one(service: UserService, uow: FakeUnitOfWork) -> None:
    user = register(service)
    actor = principal_of(user)  # type: ignore[arg-type]
    service.update(
        actor, user.id, UserChanges(values={"email": "new@example.org"}, current_password=PASSWORD)
    )  # type: ignore[attr-defined]
    verify, notice = uow.outbox.messages[-2:]
    assert "name" not in verify.payload["context"]
    assert notice.payload["context"]["name"] is None


def test_mail_to_a_verified_address_greets_its_owner_by_name(
    service: UserService, uow: FakeUnitOfWork
) -> None:
    user = register(service)
    service.verify_email(token_of(uow))
    actor = principal_of(user)  # type: ignore[arg-type]
    service.update(
        actor, user.id, UserChanges(values={"email": "new@example.org"}, current_password=PASSWORD)
    )  # type: ignore[attr-defined]
    assert uow.outbox.messages[-1].payload["context"]["name"] == "Ann"


def test_a_password_change_records_a_notice_to_the_address_the_account_had(
    service: UserService, uow: FakeUnitOfWork
) -> None:
    user = register(service)
    actor = principal_of(user)  # type: ignore[arg-type]
    service.update(
        actor,
        user.id,  # type: ignore[attr-defined]
        UserChanges(
            values={"email": "new@example.org", "password": "Velvet-Canyon-Orbit-58"},
            current_password=PASSWORD,
        ),
    )
    notices = [m for m in uow.outbox.messages if m.payload["template"] == "notice_password_changed"]
    assert [m.payload["to"] for m in notices] == ["ann@example.com"]
    assert "Velvet" not in str(notices[0].payload)


def test_a_refused_password_change_records_no_notice(service: UserService, uow: FakeUnitOfWork) -> None:
    user = register(service)
    actor = principal_of(user)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        service.update(
            actor, user.id, UserChanges(values={"password": "password123"}, current_password=PASSWORD)
        )  # type: ignore[attr-defined]
    assert [m.payload["template"] for m in uow.outbox.messages] == ["verify_email"]


def test_a_link_mailed_before_addresses_were_digested_still_verifies_until_it_expires(
    service: UserService, clock: FakeClock
) -> None:
    user = register(service)
    serializer = URLSafeSerializer("unit-test-secret-of-at-least-32-bytes!", salt="keel.verify-email")
    issued = int(clock().timestamp())
    old_form = serializer.dumps({"u": str(user.id), "e": "ann@example.com", "t": issued})  # type: ignore[attr-defined]
    other = serializer.dumps({"u": str(user.id), "e": "eve@example.com", "t": issued})  # type: ignore[attr-defined]
    with pytest.raises(InvalidVerificationToken):
        service.verify_email(other)
    service.verify_email(old_form)
    assert user.email_verified is True  # type: ignore[attr-defined]

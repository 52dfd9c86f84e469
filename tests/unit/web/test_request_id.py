import pytest

from app.web.request_id import accept_or_generate


@pytest.mark.parametrize("candidate", ["abc", "A-Z.a_z-09", "x" * 128])
def test_accept_or_generate_keeps_safe_ids(candidate: str) -> None:
    assert accept_or_generate(candidate) == candidate


@pytest.mark.parametrize("candidate", [None, "", "x" * 129, "has space", "new\nline", 'quote"', "ünï"])
def test_accept_or_generate_replaces_unsafe_ids(candidate: str | None) -> None:
    generated = accept_or_generate(candidate)
    assert generated != candidate
    assert len(generated) == 32

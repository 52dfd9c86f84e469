import uuid

import pytest

from app.domain.errors import PreconditionFailed
from app.domain.versions import ExpectedVersion
from app.web.etags import etag_for, expected_version, matches, parse_header, version_in

ID = uuid.UUID("0190f5b2-7c3a-7d2e-8f00-0123456789ab")
CURRENT = etag_for(ID, 3)


def test_etag_for_is_a_quoted_strong_tag() -> None:
    assert CURRENT.startswith('"')
    assert CURRENT.endswith('"')
    assert not CURRENT.startswith("W/")


def test_etag_for_is_stable_for_the_same_version() -> None:
    assert etag_for(ID, 3) == CURRENT


def test_etag_for_changes_with_version() -> None:
    assert etag_for(ID, 4) != CURRENT


def test_etag_for_changes_with_resource() -> None:
    assert etag_for(uuid.uuid4(), 3) != CURRENT


def test_matches_the_same_strong_tag() -> None:
    assert matches(CURRENT, [CURRENT])


def test_matches_rejects_a_different_tag() -> None:
    assert not matches(CURRENT, [etag_for(ID, 2)])


def test_matches_rejects_an_empty_candidate_list() -> None:
    assert not matches(CURRENT, [])


@pytest.mark.parametrize("weak", [False, True])
def test_matches_star_matches_anything(weak: bool) -> None:
    assert matches(CURRENT, ["*"], weak=weak)


def test_matches_any_of_several_candidates() -> None:
    assert matches(CURRENT, ['"other"', CURRENT])


def test_matches_refuses_weak_tag_in_strong_comparison() -> None:
    assert not matches(CURRENT, [f"W/{CURRENT}"])


def test_matches_accepts_weak_tag_in_weak_comparison() -> None:
    assert matches(CURRENT, [f"W/{CURRENT}"], weak=True)


def test_matches_rejects_a_different_weak_tag_in_weak_comparison() -> None:
    assert not matches(CURRENT, [f"W/{etag_for(ID, 2)}"], weak=True)


def test_parse_header_is_none_when_header_is_absent() -> None:
    assert parse_header(None) is None


def test_parse_header_splits_and_trims_a_list() -> None:
    assert parse_header(' "a" , W/"b",  * ') == ['"a"', 'W/"b"', "*"]


def test_parse_header_drops_empty_members() -> None:
    assert parse_header('"a",, ,"b"') == ['"a"', '"b"']


def test_parse_header_keeps_a_single_tag() -> None:
    assert parse_header(CURRENT) == [CURRENT]


# If-Match as the domain reads it


def test_version_in_reads_the_version_of_this_resources_tag() -> None:
    assert version_in(CURRENT, ID) == 3


def test_version_in_refuses_another_resources_tag() -> None:
    assert version_in(etag_for(uuid.uuid4(), 3), ID) is None


@pytest.mark.parametrize(
    "tag",
    [
        f"W/{CURRENT}",
        '"stale"',
        '"3-0000000000000000"',
        '"-1-abc"',
        "3",
        '"',
        '""',
        '"99999999999999999999-x"',
    ],
)
def test_version_in_refuses_weak_forged_and_malformed_tags(tag: str) -> None:
    assert version_in(tag, ID) is None


def test_expected_version_is_none_without_if_match() -> None:
    assert expected_version(None, ID) is None


def test_expected_version_is_none_for_star() -> None:
    assert expected_version(' "x", * ', ID) is None


def test_expected_version_admits_the_current_version_among_several() -> None:
    expected = expected_version(f'"other", {etag_for(ID, 2)}, {CURRENT}', ID)
    assert expected == ExpectedVersion.of(2, 3)
    expected.ensure_current(3)


def test_expected_version_of_foreign_or_weak_tags_admits_nothing() -> None:
    expected = expected_version(f'W/{CURRENT}, "stale"', ID)
    assert expected == ExpectedVersion.of()
    with pytest.raises(PreconditionFailed):
        expected.ensure_current(3)


def test_expected_version_of_an_empty_header_admits_nothing() -> None:
    assert expected_version("", ID) == ExpectedVersion.of()

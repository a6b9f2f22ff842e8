"""Page tokens: read back only unchanged, for their own query, under the server's key."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine

from oreline.api.appdb import metadata
from oreline.api.epcis.paging import make_token, page_key, read_token

KEY = bytes(range(32))


@given(after=st.integers(0, 10**12), position=st.integers(0, 200), char=st.characters(
    codec="ascii", categories=["L", "N"]))
def test_a_changed_token_is_refused(after: int, position: int, char: str):
    token = make_token(KEY, after, "fp")
    assert read_token(KEY, token, "fp") == after
    i = position % len(token)
    changed = token[:i] + char + token[i + 1:]
    if changed != token:
        got = read_token(KEY, changed, "fp")
        # base64 padding bits may absorb a change of the last character of a part
        assert got is None or got == after


def test_tokens_of_another_key_or_query_are_refused():
    token = make_token(KEY, 5, "fp")
    assert read_token(bytes(32), token, "fp") is None
    assert read_token(KEY, token, "other") is None
    assert read_token(KEY, "no-dot", "fp") is None
    assert read_token(KEY, "!!.!!", "fp") is None


def test_the_key_is_made_once_and_shared():
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    first = page_key(engine)
    assert len(first) == 32 and page_key(engine) == first


@given(seq=st.integers(0, 10**12), key=st.one_of(st.none(), st.text(max_size=40)),
       count=st.integers(0, 10**6))
def test_a_position_comes_back_whole(seq: int, key: str | None, count: int):
    from oreline.api.epcis.paging import read_position
    from oreline.ledger.store.eventorder import Position
    pos = Position(seq, key, count)
    assert read_position(KEY, make_token(KEY, pos, "fp"), "fp") == pos
    assert read_position(KEY, make_token(KEY, pos, "fp"), "fp2") is None

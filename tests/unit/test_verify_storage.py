"""S3 judged from what a later container read (verify/storage.py)."""

from __future__ import annotations

from dockerctl.verify.storage import still_holds
from dockerctl.verify.verdict import Verdict


def test_the_data_is_anywhere_in_the_output_by_default() -> None:
    c = still_holds("volume v after its writer was removed", "hello", 0, "hello world\n", "cat /m/f")
    assert (c.claim, c.verdict, c.desired, c.observed) == (
        "S3",
        Verdict.ENFORCED,
        "still holds 'hello'",
        "'hello world'",
    )


def test_a_failed_read_or_other_data_is_a_mismatch() -> None:
    assert still_holds("s", "hello", 1, "hello\n", "e").verdict is Verdict.MISMATCH  # cat failed
    assert still_holds("s", "hello", 0, "", "e").verdict is Verdict.MISMATCH
    assert still_holds("s", "hello", 0, "cat: can't open\n", "e").observed == '"cat: can\'t open"'


def test_first_line_must_be_the_token_itself() -> None:
    assert still_holds("s", "abc", 0, "abc\nrest\n", "e", first_line=True).ok
    assert not still_holds("s", "abc", 0, "xabc\n", "e", first_line=True).ok
    assert not still_holds("s", "abc", 0, "rest\nabc\n", "e", first_line=True).ok

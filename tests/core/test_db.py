"""roleplan/db.py: reading rows of hand-written SQL."""

from __future__ import annotations

import pytest

from roleplan import db


def test_a_row_is_cut_into_its_tables_columns():
    assert db.split_row((1, 2, 3, 4, 5, 6), 2, 1, 3) == [(1, 2), (3,), (4, 5, 6)]
    assert db.split_row((), 0) == [()]


@pytest.mark.parametrize("widths", [(2, 3), (2, 1, 4)])
def test_parts_that_do_not_add_up_to_the_row_are_refused(widths):
    """A statement whose columns changed without the reader is an error, not shifted values."""
    with pytest.raises(ValueError, match="6 columns"):
        db.split_row((1, 2, 3, 4, 5, 6), *widths)

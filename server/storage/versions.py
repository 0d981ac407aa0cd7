"""Which rows of ``dataset_examples`` a version of their dataset holds.

Each change to a dataset's examples is one new version: new rows carry it in ``version_added``,
and the rows they replace or delete get it in ``version_removed``. So version ``v`` holds the
rows added at or before ``v`` and not removed by then.
"""

from __future__ import annotations

import sqlalchemy as sa

from .tables import dataset_examples


def in_version(version: int | sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    """The example rows that version ``version`` of their dataset holds."""
    e = dataset_examples.c
    return sa.and_(e.version_added <= version, sa.or_(e.version_removed.is_(None), e.version_removed > version))

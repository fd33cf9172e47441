"""Photos per month (the grid's date headings): the months of ``queries.photos`` in its order, undated
first, counted with the same filters, on both backends."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from core.library import queries
from core.library.people import assign_faces
from core.library.timeline import MonthCount, month_counts
from core.storage.schema import Photo


def test_month_counts_follow_the_photo_order(library: Any, factory: Any) -> None:
    dates = [datetime(2021, 6, 3), None, datetime(2020, 1, 31, 23, 59), datetime(2021, 6, 30), datetime(2020, 1, 1),
             None, datetime(2019, 12, 31, 23, 59)]
    with library.session() as session:
        faces = [factory.photo(session, 1, taken_at=when, path=f"/p/{i}.jpg")[0] for i, when in enumerate(dates)]
        ada = assign_faces(session, faces[:3], "Ada").id
        original = session.scalars(select(Photo.id).where(Photo.path == "/p/0.jpg")).one()
        factory.photo(session, 1, taken_at=datetime(2018, 1, 1), path="/p/copy.jpg")  # a duplicate: not listed
        session.execute(update(Photo).where(Photo.path == "/p/copy.jpg").values(duplicate_of=original))
        session.commit()
    with library.session() as session:
        months = month_counts(session)
        assert months == [MonthCount(None, None, 2), MonthCount(2019, 12, 1), MonthCount(2020, 1, 2),
                          MonthCount(2021, 6, 2)]
        listed = queries.photos(session)
        assert sum(m.count for m in months) == len(listed) == queries.count_photos(session)
        start = 0
        for m in months:  # each month's photos are one run of the listing
            run = listed[start:start + m.count]
            assert {(p.taken_at.year, p.taken_at.month) if p.taken_at else (None, None) for p in run} == {
                (m.year, m.month)}
            start += m.count
        assert month_counts(session, [ada]) == [MonthCount(None, None, 1), MonthCount(2020, 1, 1),
                                                MonthCount(2021, 6, 1)]
        assert month_counts(session, folder="/elsewhere") == []

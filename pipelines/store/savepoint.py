"""One article's savepoint inside the writer's batch, under a fixed name.

sqlite-utils' `db.atomic()` names each nested savepoint with a new random token, so
every article's SAVEPOINT and RELEASE were two statements SQLite had never seen: both
compiled anew, and both pushing the writer's own prepared statements (the story
lookups, the inserts) out of the connection's statement cache of 128. A fixed name is
the same savepoint: SQLite nests savepoints of one name, and RELEASE or ROLLBACK TO
acts on the innermost of that name.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlite_utils


@contextlib.contextmanager
def savepoint(db: sqlite_utils.Database, name: str) -> Iterator[sqlite_utils.Database]:
    """Like `db.atomic()`: a savepoint inside an open transaction (rolled back on any
    error), or a transaction of its own outside one. `name` is a fixed identifier."""
    if not db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute(f"SAVEPOINT {name}")
    try:
        yield db
    except BaseException:
        # An error that ended the whole transaction (a full disk) took the savepoint
        # with it: rolling back to it would hide the first error behind "no such
        # savepoint".
        if db.conn.in_transaction:
            db.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
            db.conn.execute(f"RELEASE SAVEPOINT {name}")
        raise
    else:
        db.conn.execute(f"RELEASE SAVEPOINT {name}")

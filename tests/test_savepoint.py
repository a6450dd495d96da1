"""An article's savepoint under a fixed name (pipelines/store/savepoint.py), on a real
SQLite file: the same rollbacks as sqlite-utils' db.atomic(), and the same statement
texts for every article (so they stay in the connection's statement cache)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from pipelines.store.savepoint import savepoint


class Boom(Exception):
    pass


def make_db(tmp_path: Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(tmp_path / "s.db")
    db.execute("create table t (n integer)")
    return db


def rows(db: sqlite_utils.Database) -> list[int]:
    return [r[0] for r in db.execute("select n from t order by n")]


def test_a_failed_article_leaves_the_batch_and_the_others(tmp_path: Path) -> None:
    db = make_db(tmp_path)
    db.conn.execute("BEGIN IMMEDIATE")
    with savepoint(db, "article"):
        db.execute("insert into t values (1)")
    with pytest.raises(Boom), savepoint(db, "article"):
        db.execute("insert into t values (2)")
        raise Boom
    with savepoint(db, "article"):
        db.execute("insert into t values (3)")
    assert db.conn.in_transaction  # the batch is still open
    db.conn.execute("COMMIT")
    assert rows(db) == [1, 3]


def test_nested_savepoints_of_one_name(tmp_path: Path) -> None:
    db = make_db(tmp_path)
    db.conn.execute("BEGIN")
    with savepoint(db, "article"):
        db.execute("insert into t values (1)")
        with pytest.raises(Boom), savepoint(db, "article"):
            db.execute("insert into t values (2)")
            raise Boom
        db.execute("insert into t values (3)")
    db.conn.execute("COMMIT")
    assert rows(db) == [1, 3]


def test_outside_a_transaction_it_is_one(tmp_path: Path) -> None:
    db = make_db(tmp_path)
    with savepoint(db, "article"):
        db.execute("insert into t values (1)")
    assert not db.conn.in_transaction and rows(db) == [1]
    with pytest.raises(Boom), savepoint(db, "article"):
        db.execute("insert into t values (2)")
        raise Boom
    assert not db.conn.in_transaction and rows(db) == [1]


def test_every_article_runs_the_same_statement_texts(tmp_path: Path) -> None:
    db = make_db(tmp_path)
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    db.conn.execute("BEGIN")
    for n in range(5):
        with savepoint(db, "article"):
            db.execute("insert into t values (?)", [n])
    db.conn.execute("COMMIT")
    db.conn.set_trace_callback(None)
    savepoints = {s for s in seen if "SAVEPOINT" in s.upper()}
    assert savepoints == {"SAVEPOINT article", "RELEASE SAVEPOINT article"}
    assert rows(db) == [0, 1, 2, 3, 4]

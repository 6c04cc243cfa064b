//! The gateway's store on either engine: SQLite (the embedded default and a single
//! node) or PostgreSQL (several replicas sharing one database).
//!
//! Every statement is written once, in SQL both engines accept: `$1`-style
//! placeholders (SQLite takes them too), `lower()` instead of `COLLATE NOCASE`,
//! `CAST(SUM(…) AS BIGINT)` because PostgreSQL sums integers into NUMERIC, and SQLite's
//! JSON functions (`json_each`, `json_valid`, `json_type`), which the PostgreSQL
//! migrations define over TEXT with SQLite's meaning. Timestamps are chrono values on
//! both (TEXT in SQLite, TIMESTAMPTZ in PostgreSQL), bound as such and never as
//! strings, so comparisons mean the same thing.
//!
//! A statement runs through [`on!`], which expands it once per engine: the code is one
//! text, type-checked against both drivers, with no dynamic `Any` layer (it has no
//! chrono types) and no per-engine copies to drift apart. Where the engines truly
//! differ (how a writing transaction serializes, planner hints), [`Db::is_sqlite`]
//! picks, and the place says why.
//!
//! Writers: SQLite allows one writer at a time, and every writing transaction starts
//! with `BEGIN IMMEDIATE` so writers queue instead of failing on an upgrade. On
//! PostgreSQL, [`Db::begin_write`] takes one transaction-scoped advisory lock, so the
//! read-decide-write steps of the control plane (revoke an active key, rotate, the
//! project's key counts) see the same one-at-a-time order on every replica that they
//! see on one SQLite file. The usage flush does not take it: its statements only add
//! onto rows, which PostgreSQL's `ON CONFLICT DO UPDATE` does atomically.

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnection, PgPool};
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::{Postgres, Sqlite, Transaction};

/// The pool of whichever engine the gateway opened. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A writing transaction on either engine (see [`Db::begin_write`]).
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// One value per engine: what `engine()` returns for [`on!`] to match on.
pub enum Either<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// Either the pool or an open transaction, for the few reads made both inside a
/// writing transaction and on their own (a key, a workload, a project by id).
pub enum Exec<'a> {
    Pool(&'a Db),
    Tx(&'a mut Tx),
}

/// The four executors an [`Exec`] may stand for, for [`on_exec!`] to match on.
pub enum Executors<'a> {
    SqlitePool(&'a SqlitePool),
    SqliteConn(&'a mut SqliteConnection),
    PostgresPool(&'a PgPool),
    PostgresConn(&'a mut PgConnection),
}

impl Db {
    /// This pool's executor, for [`on!`].
    pub fn engine(&self) -> Either<&SqlitePool, &PgPool> {
        match self {
            Db::Sqlite(pool) => Either::Sqlite(pool),
            Db::Postgres(pool) => Either::Postgres(pool),
        }
    }

    pub fn exec(&self) -> Exec<'_> {
        Exec::Pool(self)
    }
}

impl Tx {
    /// This transaction's connection, for [`on!`].
    pub fn engine(&mut self) -> Either<&mut SqliteConnection, &mut PgConnection> {
        match self {
            Tx::Sqlite(tx) => Either::Sqlite(&mut **tx),
            Tx::Postgres(tx) => Either::Postgres(&mut **tx),
        }
    }

    pub fn exec(&mut self) -> Exec<'_> {
        Exec::Tx(self)
    }
}

impl Exec<'_> {
    pub fn executors(&mut self) -> Executors<'_> {
        match self {
            Exec::Pool(Db::Sqlite(pool)) => Executors::SqlitePool(pool),
            Exec::Pool(Db::Postgres(pool)) => Executors::PostgresPool(pool),
            Exec::Tx(Tx::Sqlite(tx)) => Executors::SqliteConn(tx),
            Exec::Tx(Tx::Postgres(tx)) => Executors::PostgresConn(tx),
        }
    }
}

// Inherent methods and concrete enums, not a trait: an async fn generic over "an
// executor of either engine" made every axum handler's future fail its `Send` check
// ("implementation of Send is not general enough", a known rustc limitation).

/// Runs `$body` with `$e` bound to the engine's executor: a pool (`&Db`) or an open
/// transaction (`&mut Tx`). The body is compiled once per engine. Exported as
/// `keyward_gateway::on_db!` for tests and tools that read the database directly.
#[macro_export]
macro_rules! on_db {
    ($target:expr, |$e:ident| $body:expr) => {
        match ($target).engine() {
            $crate::db::Either::Sqlite($e) => $body,
            $crate::db::Either::Postgres($e) => $body,
        }
    };
}
pub(crate) use crate::on_db as on;

/// [`on!`] for an [`Exec`]: the body is compiled for the pool and the transaction of
/// each engine.
macro_rules! on_exec {
    ($target:expr, |$e:ident| $body:expr) => {
        match ($target).executors() {
            $crate::db::Executors::SqlitePool($e) => $body,
            $crate::db::Executors::SqliteConn($e) => $body,
            $crate::db::Executors::PostgresPool($e) => $body,
            $crate::db::Executors::PostgresConn($e) => $body,
        }
    };
}
pub(crate) use on_exec;

/// The advisory lock every writing transaction takes on PostgreSQL: one number for
/// the whole database, chosen once ("kw" in ASCII, then "write").
const WRITE_LOCK: i64 = 0x006b_7777_7269_7465;

impl Db {
    /// Starts a transaction that reads, decides and writes, serialized with every other
    /// such transaction (on every replica): see the module documentation.
    pub async fn begin_write(&self) -> sqlx::Result<Tx> {
        match self {
            Db::Sqlite(pool) => Ok(Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?)),
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(Tx::Postgres(tx))
            }
        }
    }

    /// Starts a transaction whose statements only add onto rows (the usage flush): on
    /// PostgreSQL it does not wait for the control plane's writer lock.
    pub async fn begin_additive(&self) -> sqlx::Result<Tx> {
        match self {
            Db::Sqlite(pool) => Ok(Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?)),
            Db::Postgres(pool) => Ok(Tx::Postgres(pool.begin().await?)),
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Db::Sqlite(_))
    }

    /// The engine's name, for logs and errors.
    pub fn engine_name(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "SQLite",
            Db::Postgres(_) => "PostgreSQL",
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// The bounds a [`sqlx::QueryBuilder`] needs to bind the gateway's values, so a
/// function that builds a statement's filters is written once for both engines.
/// (A trait alias cannot carry them: Rust does not imply `where` clauses of traits.)
pub trait Binds<'a>: sqlx::Database {
    fn text(builder: &mut sqlx::QueryBuilder<'a, Self>, value: String);
    fn int(builder: &mut sqlx::QueryBuilder<'a, Self>, value: i64);
    fn time(builder: &mut sqlx::QueryBuilder<'a, Self>, value: DateTime<Utc>);
}

macro_rules! binds {
    ($db:ty) => {
        impl<'a> Binds<'a> for $db {
            fn text(builder: &mut sqlx::QueryBuilder<'a, Self>, value: String) {
                builder.push_bind(value);
            }
            fn int(builder: &mut sqlx::QueryBuilder<'a, Self>, value: i64) {
                builder.push_bind(value);
            }
            fn time(builder: &mut sqlx::QueryBuilder<'a, Self>, value: DateTime<Utc>) {
                builder.push_bind(value);
            }
        }
    };
}
binds!(Sqlite);
binds!(Postgres);

/// A value bound apart from its statement, for SQL assembled from parts that each bring
/// their own values (a key's settings, a lifecycle step's assignments), so the parts
/// are written once for both engines.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Time(Option<DateTime<Utc>>),
    Bytes(Option<Vec<u8>>),
}

/// Binds `args` in order onto `query`, on either engine.
pub fn bind_all<'q, DB, O>(
    mut query: sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments<'q>>,
    args: Vec<Arg>,
) -> sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<DateTime<Utc>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<Vec<u8>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for arg in args {
        query = match arg {
            Arg::Text(value) => query.bind(value),
            Arg::Int(value) => query.bind(value),
            Arg::Time(value) => query.bind(value),
            Arg::Bytes(value) => query.bind(value),
        };
    }
    query
}

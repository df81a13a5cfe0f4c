//! The console's long jobs (CSV imports) in the database, in both stores' dialects: SQLite's
//! version 11 and PostgreSQL's version 7. A job's progress and outcome are rows, so the page of a
//! job started through one HQ process is served by any other.

/// SQLite's version 11.
pub(super) const V11: &str = r#"
CREATE TABLE console_jobs (
    id TEXT PRIMARY KEY,
    owner BIGINT NOT NULL,
    kind TEXT NOT NULL,
    phase TEXT NOT NULL,
    done BIGINT NOT NULL,
    steps BIGINT NULL,
    -- The outcome as JSON once the job ended.
    outcome TEXT NULL,
    started_at BIGINT NOT NULL,
    -- The process running the job writes at least every few seconds: a job not written for long
    -- while not ended lost its process (its import, one transaction, was rolled back).
    updated_at BIGINT NOT NULL,
    ended_at BIGINT NULL
);
CREATE INDEX console_jobs_ended ON console_jobs(ended_at);
"#;

/// PostgreSQL's version 7: the same.
pub(super) const PG_V7: &str = r#"
CREATE TABLE console_jobs (
    id TEXT PRIMARY KEY,
    owner BIGINT NOT NULL,
    kind TEXT NOT NULL,
    phase TEXT NOT NULL,
    done BIGINT NOT NULL,
    steps BIGINT NULL,
    outcome TEXT NULL,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    ended_at BIGINT NULL
);
CREATE INDEX console_jobs_ended ON console_jobs(ended_at);
"#;

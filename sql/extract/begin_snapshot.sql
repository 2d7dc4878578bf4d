-- One snapshot for the whole run: every table is read as of the same instant, so
-- http_requests, the events and the dimension tables agree with each other.
-- READ ONLY: the extractor never writes to the Tableau repository.
BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
-- A full COPY of a large table can run for many minutes, and the client writes Parquet
-- between reads: server or role defaults (often a few minutes) must not cancel it. But a
-- run stuck for good (a hung shared drive under the lake) must not hold its share locks
-- forever either: they block Tableau's own cleanup TRUNCATE and what queues behind it.
-- So both limits are set, generously, from the source's configuration (in ms).
SET LOCAL statement_timeout = {statement_timeout_ms};
SET LOCAL idle_in_transaction_session_timeout = {idle_in_transaction_timeout_ms};
-- Waiting on a lock means Tableau holds an exclusive one (upgrade, cleanup TRUNCATE):
-- fail after a minute instead of hanging the run; the next run retries.
SET LOCAL lock_timeout = '60s';
-- Read tables from their first block, in insertion order (≈ id and time order for the
-- append-only logs). With synchronized scans on (the default), a scan of a table larger
-- than shared_buffers/4 starts wherever the previous scan last reported, so the stream
-- wraps around: rows of every day arrive in two runs, the writer opens every partition
-- twice, and the batch holding the wrap spans the newest and the oldest ids, which
-- pulls the next run's lookback key down to ~0 (it then re-reads the whole table).
SET LOCAL synchronize_seqscans = off;

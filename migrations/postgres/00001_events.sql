-- +goose Up
-- The event log. global_position is a unique cursor; the log's order is
-- (transaction_id, global_position). Readers only read rows whose transaction id is below the
-- oldest transaction still running (pg_snapshot_xmin of their snapshot): every transaction below it
-- has ended, so no event can later commit behind a reader's cursor (the watermill-sql technique).
CREATE TABLE events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    event_id        uuid        NOT NULL UNIQUE,
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL,
    event_type      text        NOT NULL,
    data            json        NOT NULL,
    schema_version  int         NOT NULL,
    actor           text        NOT NULL DEFAULT '',
    causation_id    uuid,
    correlation_id  uuid,
    client_op_id    text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    CONSTRAINT events_stream_version UNIQUE (stream_id, stream_version)
);
CREATE INDEX events_log_order ON events (transaction_id, global_position);

CREATE TABLE snapshots (
    stream_id  text        NOT NULL,
    version    bigint      NOT NULL,
    data       json        NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (stream_id, version)
);

CREATE TABLE checkpoints (
    name       text        PRIMARY KEY,
    position   bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
-- goflow_append appends a batch in one round trip: a per-stream lock, the expected-version check and
-- one multi-row insert. Each statement of a VOLATILE plpgsql function takes a fresh snapshot, so the
-- version read after the lock sees every append that held the lock before.
-- Raises SQLSTATE 'GF001' (DETAIL: the current version) when the expected version does not hold;
-- a reused event id fails on the unique index (23505), and the caller tells a retry from a clash.
-- p_kind: 1 any, 2 no stream, 3 stream exists, 4 exact.
CREATE FUNCTION goflow_append(
    p_stream text, p_kind int, p_expected bigint,
    p_ids uuid[], p_types text[], p_data json[], p_schema int[], p_actor text[],
    p_causation uuid[], p_correlation uuid[], p_client_op text[], p_time timestamptz)
RETURNS TABLE (global_position bigint, stream_version bigint)
LANGUAGE plpgsql AS $$
DECLARE
    cur bigint;
BEGIN
    -- Class 1198475884 ('GoFl') keeps GoFlow's stream locks apart from other advisory locks.
    PERFORM pg_advisory_xact_lock(1198475884, hashtext(p_stream));

    SELECT coalesce(max(e.stream_version), 0) INTO cur FROM events e WHERE e.stream_id = p_stream;
    IF (p_kind = 2 AND cur <> 0) OR (p_kind = 3 AND cur = 0) OR (p_kind = 4 AND cur <> p_expected) THEN
        RAISE EXCEPTION 'wrong expected version' USING ERRCODE = 'GF001', DETAIL = cur::text;
    END IF;

    RETURN QUERY INSERT INTO events AS e (event_id, stream_id, stream_version, event_type, data,
            schema_version, actor, causation_id, correlation_id, client_op_id, created_at)
        SELECT u.id, p_stream, cur + u.n, u.typ, u.dat, u.sv, u.act, u.cau, u.cor, u.op, p_time
        FROM unnest(p_ids, p_types, p_data, p_schema, p_actor, p_causation, p_correlation, p_client_op)
            WITH ORDINALITY AS u(id, typ, dat, sv, act, cau, cor, op, n)
        RETURNING e.global_position, e.stream_version;
END
$$;
-- +goose StatementEnd


-- +goose Down
DROP FUNCTION goflow_append;
DROP TABLE checkpoints;
DROP TABLE snapshots;
DROP TABLE events;

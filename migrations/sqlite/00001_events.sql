-- +goose Up
-- One writer at a time commits in global_position order, so the log's order is simply
-- global_position.
CREATE TABLE events (
    global_position INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT    NOT NULL UNIQUE,
    stream_id       TEXT    NOT NULL,
    stream_version  INTEGER NOT NULL,
    event_type      TEXT    NOT NULL,
    data            BLOB    NOT NULL,
    schema_version  INTEGER NOT NULL,
    actor           TEXT    NOT NULL DEFAULT '',
    causation_id    TEXT,
    correlation_id  TEXT,
    client_op_id    TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL, -- unix microseconds
    UNIQUE (stream_id, stream_version)
);

CREATE TABLE snapshots (
    stream_id  TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (stream_id, version)
);

CREATE TABLE checkpoints (
    name       TEXT    PRIMARY KEY,
    position   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE checkpoints;
DROP TABLE snapshots;
DROP TABLE events;

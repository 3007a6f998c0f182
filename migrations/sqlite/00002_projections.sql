-- +goose Up
-- Read models built from the event log (package projections). Keys compare bytewise (BINARY),
-- so List's key ranges and prefixes use the primary key.
CREATE TABLE read_models (
    projection TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    data       BLOB    NOT NULL,
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL, -- unix microseconds
    PRIMARY KEY (projection, key)
);

-- One row per projection: the global-log cursor of the last applied event (committed in the same
-- transaction as the projection's writes) and how many events have been applied.
CREATE TABLE projection_checkpoints (
    name       TEXT    PRIMARY KEY,
    position   INTEGER NOT NULL,
    events     INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE projection_checkpoints;
DROP TABLE read_models;

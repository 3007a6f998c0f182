-- +goose Up
-- Read models built from the event log (package projections). Documents are keyed by
-- (projection, key); keys sort bytewise (COLLATE "C", like SQLite's BINARY) so that List's key
-- ranges and prefixes use the primary key and both backends order alike. data is json, not jsonb:
-- it is stored and returned verbatim, without a parse on every read.
CREATE TABLE read_models (
    projection text        NOT NULL,
    key        text        COLLATE "C" NOT NULL,
    data       json        NOT NULL,
    version    bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, key)
);

-- One row per projection: the global-log cursor of the last applied event (committed in the same
-- transaction as the projection's writes) and how many events have been applied.
CREATE TABLE projection_checkpoints (
    name       text        PRIMARY KEY,
    position   bigint      NOT NULL,
    events     bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE projection_checkpoints;
DROP TABLE read_models;

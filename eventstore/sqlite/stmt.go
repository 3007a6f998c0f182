package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// stmtCache keeps the hot statements prepared: parsing SQL cost about a fifth of an append's CPU
// time. modernc.org/sqlite keeps a prepared single statement compiled and only resets it between
// runs, and database/sql prepares a *sql.Stmt once per pooled connection. Statements are prepared
// on first use rather than at Open because the tables exist only after Migrate.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}}
}

// get returns the prepared statement for query, preparing it on first use. Only constant queries
// may pass through here: the cache never evicts. It must not be called while holding one of the
// pool's connections in a transaction (the writer has only one): use inTx there.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := c.cached(query); st != nil {
		return st, nil
	}
	// Prepared outside the lock: PrepareContext may wait for a connection, and a holder of that
	// connection may need the lock meanwhile.
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[query]; ok {
		st.Close() // lost a race; keep the first
		return prev, nil
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) cached(query string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[query]
}

// warm prepares queries ahead of a transaction that will use them through inTx.
func (c *stmtCache) warm(ctx context.Context, queries ...string) error {
	for _, q := range queries {
		if _, err := c.get(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// inTx returns query's statement bound to tx. database/sql reuses the statement already prepared on
// the transaction's connection (the writer has only one), so nothing is parsed again. A query not
// yet cached is prepared for this transaction only: preparing on the pool would wait for the
// connection tx holds.
func (c *stmtCache) inTx(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	st := c.cached(query)
	if st == nil {
		return tx.PrepareContext(ctx, query)
	}
	return tx.StmtContext(ctx, st), nil
}

// close finalizes every statement; call it before closing the database.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

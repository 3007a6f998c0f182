// Package doctest is the conformance suite every projections.DocStore runs (rules DS1..DS12).
//
//	func TestConformance(t *testing.T) { doctest.Run(t, open) }
package doctest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/projections"
)

// Open returns a fresh, migrated DocStore and the event store of the same database; both are
// closed by the test's cleanup.
type Open func(t *testing.T) (projections.DocStore, eventstore.Store)

// Run runs every rule against stores from open, in parallel subtests.
func Run(t *testing.T, open Open) {
	rules := []struct {
		name string
		fn   func(t *testing.T, docs projections.DocStore, events eventstore.Store)
	}{
		{"DS1_PutGet", testPutGet},
		{"DS2_FailedUpdateWritesNothing", testFailedUpdate},
		{"DS3_Checkpoint", testCheckpoint},
		{"DS4_TxReadsItsWrites", testTxReadsItsWrites},
		{"DS5_ListOrderAndPaging", testList},
		{"DS6_ProjectionsAreIsolated", testIsolation},
		{"DS7_Reset", testReset},
		{"DS8_BadInput", testBadInput},
		{"DS9_LargeBatches", testLargeBatches},
		{"DS10_UpdatesOfAProjectionSerialize", testSerialized},
		{"DS11_ReachedAndEventCount", testReached},
		{"DS12_LocalsAndFlushHooks", testLocalsAndHooks},
	}
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			docs, events := open(t)
			r.fn(t, docs, events)
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// put writes key = data at version in its own Update.
func put(t *testing.T, docs projections.DocStore, projection, key, data string, version int64) {
	t.Helper()
	require.NoError(t, docs.Update(ctxT(t), projection, func(tx projections.DocTx) error {
		return tx.Put(key, json.RawMessage(data), version)
	}, 0, 0))
}

func keysOf(ds []projections.Doc) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Key
	}
	return out
}

func testPutGet(t *testing.T, docs projections.DocStore, _ eventstore.Store) {
	ctx := ctxT(t)
	_, err := docs.Get(ctx, "p", "k")
	require.ErrorIs(t, err, projections.ErrNotFound)
	_, err = docs.Version(ctx, "p", "k")
	require.ErrorIs(t, err, projections.ErrNotFound)

	before := time.Now().Add(-time.Minute)
	put(t, docs, "p", "k", `{"a": [1, 2, {"b": "ü"}]}`, 7)
	d, err := docs.Get(ctx, "p", "k")
	require.NoError(t, err)
	require.Equal(t, "k", d.Key)
	require.JSONEq(t, `{"a": [1, 2, {"b": "ü"}]}`, string(d.Data))
	require.EqualValues(t, 7, d.Version)
	v, err := docs.Version(ctx, "p", "k")
	require.NoError(t, err)
	require.EqualValues(t, 7, v)
	require.True(t, d.UpdatedAt.After(before), "updated at %s", d.UpdatedAt)

	put(t, docs, "p", "k", `"replaced"`, 8)
	d, err = docs.Get(ctx, "p", "k")
	require.NoError(t, err)
	require.JSONEq(t, `"replaced"`, string(d.Data))
	require.EqualValues(t, 8, d.Version)
	v, err = docs.Version(ctx, "p", "k")
	require.NoError(t, err)
	require.EqualValues(t, 8, v)

	require.NoError(t, docs.Update(ctx, "p", func(tx projections.DocTx) error { return tx.Delete("k") }, 0, 0))
	_, err = docs.Get(ctx, "p", "k")
	require.ErrorIs(t, err, projections.ErrNotFound)
	require.NoError(t, docs.Update(ctx, "p", func(tx projections.DocTx) error { return tx.Delete("never-was") }, 0, 0))
}

func testFailedUpdate(t *testing.T, docs projections.DocStore, _ eventstore.Store) {
	ctx := ctxT(t)
	require.NoError(t, docs.Update(ctx, "p", func(tx projections.DocTx) error { return tx.Put("a", json.RawMessage(`1`), 1) }, 5, 1))
	boom := errors.New("boom")
	err := docs.Update(ctx, "p", func(tx projections.DocTx) error {
		require.NoError(t, tx.Put("a", json.RawMessage(`2`), 2))
		require.NoError(t, tx.Put("b", json.RawMessage(`2`), 2))
		return fmt.Errorf("apply: %w", boom)
	}, 9, 4)
	require.ErrorIs(t, err, boom)
	d, err := docs.Get(ctx, "p", "a")
	require.NoError(t, err)
	require.JSONEq(t, `1`, string(d.Data))
	_, err = docs.Get(ctx, "p", "b")
	require.ErrorIs(t, err, projections.ErrNotFound)
	pos, n, err := docs.Checkpoint(ctx, "p")
	require.NoError(t, err)
	require.Equal(t, [2]int64{5, 1}, [2]int64{pos, n})

	// A flush hook's failure also rolls back.
	err = docs.Update(ctx, "p", func(tx projections.DocTx) error {
		require.NoError(t, tx.Put("c", json.RawMessage(`3`), 3))
		tx.BeforeFlush(func() error { return boom })
		return nil
	}, 11, 1)
	require.ErrorIs(t, err, boom)
	_, err = docs.Get(ctx, "p", "c")
	require.ErrorIs(t, err, projections.ErrNotFound)
}

func testCheckpoint(t *testing.T, docs projections.DocStore, _ eventstore.Store) {
	ctx := ctxT(t)
	pos, n, err := docs.Checkpoint(ctx, "p")
	require.NoError(t, err)
	require.Zero(t, pos)
	require.Zero(t, n)
	noop := func(projections.DocTx) error { return nil }
	require.NoError(t, docs.Update(ctx, "p", noop, 10, 3))
	require.NoError(t, docs.Update(ctx, "p", noop, 4, 2)) // cursors need not grow numerically
	pos, n, err = docs.Checkpoint(ctx, "p")
	require.NoError(t, err)
	require.EqualValues(t, 4, pos)
	require.EqualValues(t, 5, n)
}

func testTxReadsItsWrites(t *testing.T, docs projections.DocStore, _ eventstore.Store) {
	ctx := ctxT(t)
	put(t, docs, "p", "stored", `{"v":1}`, 1)
	put(t, docs, "p", "doomed", `{"v":1}`, 1)
	require.NoError(t, docs.Update(ctx, "p", func(tx projections.DocTx) error {
		d, ok, err := tx.Get("stored")
		require.NoError(t, err)
		require.True(t, ok)
		require.JSONEq(t, `{"v":1}`, string(d.Data))
		require.EqualValues(t, 1, d.Version)

		_, ok, err = tx.Get("absent")
		require.NoError(t, err)
		require.False(t, ok)

		require.NoError(t, tx.Put("absent", json.RawMessage(`{"v":2}`), 2))
		d, ok, err = tx.Get("absent")
		require.NoError(t, err)
		require.True(t, ok)
		require.EqualValues(t, 2, d.Version)

		require.NoError(t, tx.Delete("doomed"))
		_, ok, err = tx.Get("doomed")
		require.NoError(t, err)
		require.False(t, ok)

		require.NoError(t, tx.Prefetch([]string{"stored", "doomed", "other", "other"}))
		return nil
	}, 1, 1))
	_, err := docs.Get(ctx, "p", "doomed")
	require.ErrorIs(t, err, projections.ErrNotFound)
	d, err := docs.Get(ctx, "p", "absent")
	require.NoError(t, err)
	require.JSONEq(t, `{"v":2}`, string(d.Data))

	// Prefetch of more keys than one load chunk holds finds every stored one.
	const n = 2500
	require.NoError(t, docs.Update(ctx, "many", func(tx projections.DocTx) error {
		for i := range n {
			if err := tx.Put(fmt.Sprintf("k%05d", i), json.RawMessage(fmt.Sprint(i)), int64(i)); err != nil {
				return err
			}
		}
		return nil
	}, 0, 0))
	require.NoError(t, docs.Update(ctx, "many", func(tx projections.DocTx) error {
		keys := make([]string, 0, n+10)
		for i := range n + 10 {
			keys = append(keys, fmt.Sprintf("k%05d", i))
		}
		require.NoError(t, tx.Prefetch(keys))
		for i, k := range keys {
			d, ok, err := tx.Get(k)
			require.NoError(t, err)
			require.Equal(t, i < n, ok, k)
			if ok {
				require.EqualValues(t, i, d.Version)
			}
		}
		return nil
	}, 0, 0))
}

func testList(t *testing.T, docs projections.DocStore, _ eventstore.Store) {
	ctx := ctxT(t)
	keys := []string{"a/1", "a/2", "a/10", "a%/x", "a_/y", "ab", "A/1", "b/1", "a/é", "a/\U0010FFFF", "a/\U0010FFFFz", "z", "a"}
	require.NoError(t, docs.Update(ctx, "p", func(tx projections.DocTx) error {
		for i, k := range keys {
			if err := tx.Put(k, json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)), int64(i)); err != nil {
				return err
			}
		}
		return nil
	}, 0, 0))
	sorted := slices.Clone(keys)
	slices.Sort(sorted) // bytewise, which for UTF-8 is code point order

	all := func(p projections.ListParams) []string {
		t.Helper()
		var out []string
		for range 100 {
			page, next, err := docs.List(ctx, "p", p)
			require.NoError(t, err)
			require.LessOrEqual(t, len(page), cmp.Or(p.Limit, projections.DefaultListLimit))
			out = append(out, keysOf(page)...)
			if next == "" {
				return out
			}
			require.Equal(t, page[len(page)-1].Key, next)
			p.After = next
		}
		t.Fatal("paging did not end")
		return nil
	}
	page, next, err := docs.List(ctx, "p", projections.ListParams{})
	require.NoError(t, err)
	require.Equal(t, sorted, keysOf(page))
	require.Empty(t, next)
	require.EqualValues(t, slices.Index(keys, "a/2"), page[slices.Index(sorted, "a/2")].Version)

	tests := []struct {
		name string
		p    projections.ListParams
		want []string
	}{
		{"pages of one", projections.ListParams{Limit: 1}, sorted},
		{"pages of four", projections.ListParams{Limit: 4}, sorted},
		{"prefix", projections.ListParams{KeyPrefix: "a/", Limit: 2}, []string{"a/1", "a/10", "a/2", "a/é", "a/\U0010FFFF", "a/\U0010FFFFz"}},
		{"prefix is not a pattern", projections.ListParams{KeyPrefix: "a%"}, []string{"a%/x"}},
		{"prefix with underscore", projections.ListParams{KeyPrefix: "a_"}, []string{"a_/y"}},
		{"prefix ending in the last code point", projections.ListParams{KeyPrefix: "a/\U0010FFFF"}, []string{"a/\U0010FFFF", "a/\U0010FFFFz"}},
		{"prefix matching nothing", projections.ListParams{KeyPrefix: "q"}, nil},
		{"after", projections.ListParams{After: "a/2"}, sorted[slices.Index(sorted, "a/2")+1:]},
		{"prefix and after", projections.ListParams{KeyPrefix: "a/", After: "a/10"}, []string{"a/2", "a/é", "a/\U0010FFFF", "a/\U0010FFFFz"}},
		{"before", projections.ListParams{Before: "a/2"}, sorted[:slices.Index(sorted, "a/2")]},
		{"prefix, after and before", projections.ListParams{KeyPrefix: "a/", After: "a/1", Before: "a/é"}, []string{"a/10", "a/2"}},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, all(tc.p), tc.name)
	}

	// Default and maximum page sizes.
	require.NoError(t, docs.Update(ctx, "big", func(tx projections.DocTx) error {
		for i := range projections.MaxListLimit + 20 {
			if err := tx.Put(fmt.Sprintf("%04d", i), json.RawMessage(`{}`), 1); err != nil {
				return err
			}
		}
		return nil
	}, 0, 0))
	page, next, err = docs.List(ctx, "big", projections.ListParams{})
	require.NoError(t, err)
	require.Len(t, page, projections.DefaultListLimit)
	require.Equal(t, fmt.Sprintf("%04d", projections.DefaultListLimit-1), next)
	page, next, err = docs.List(ctx, "big", projections.ListParams{Limit: 10_000})
	require.NoError(t, err)
	require.Len(t, page, projections.MaxListLimit)
	require.NotEmpty(t, next)
	page, next, err = docs.List(ctx, "big", projections.ListParams{After: next, Limit: 10_000})
	require.NoError(t, err)
	require.Len(t, page, 20)
	require.Empty(t, next)
}

func testIsolation(t *testing.T, docs projections.DocStore, _ eventstore.Store) {
	ctx := ctxT(t)
	put(t, docs, "p1", "k", `1`, 1)
	put(t, docs, "p2", "k", `2`, 2)
	d, err := docs.Get(ctx, "p1", "k")
	require.NoError(t, err)
	require.JSONEq(t, `1`, string(d.Data))
	page, _, err := docs.List(ctx, "p2", projections.ListParams{})
	require.NoError(t, err)
	require.Len(t, page, 1)
	require.JSONEq(t, `2`, string(page[0].Data))
	// "p" is a prefix of both names, and must see neither.
	page, _, err = docs.List(ctx, "p", projections.ListParams{})
	require.NoError(t, err)
	require.Empty(t, page)
}

func testReset(t *testing.T, docs projections.DocStore, _ eventstore.Store) {
	ctx := ctxT(t)
	for _, p := range []string{"p1", "p2"} {
		require.NoError(t, docs.Update(ctx, p, func(tx projections.DocTx) error {
			return errors.Join(tx.Put("a", json.RawMessage(`1`), 1), tx.Put("b", json.RawMessage(`1`), 1))
		}, 3, 2))
	}
	require.NoError(t, docs.Reset(ctx, "p1"))
	page, _, err := docs.List(ctx, "p1", projections.ListParams{})
	require.NoError(t, err)
	require.Empty(t, page)
	pos, n, err := docs.Checkpoint(ctx, "p1")
	require.NoError(t, err)
	require.Equal(t, [2]int64{0, 0}, [2]int64{pos, n})

	page, _, err = docs.List(ctx, "p2", projections.ListParams{})
	require.NoError(t, err)
	require.Len(t, page, 2)
	pos, n, err = docs.Checkpoint(ctx, "p2")
	require.NoError(t, err)
	require.Equal(t, [2]int64{3, 2}, [2]int64{pos, n})
	require.NoError(t, docs.Reset(ctx, "never-used"))
}

func testBadInput(t *testing.T, docs projections.DocStore, _ eventstore.Store) {
	ctx := ctxT(t)
	badKeys := []string{"", "a\x00b", "\xff", strings.Repeat("k", projections.MaxKeyLength+1)}
	for _, k := range badKeys {
		err := docs.Update(ctx, "p", func(tx projections.DocTx) error {
			require.NoError(t, tx.Put("fine", json.RawMessage(`1`), 1))
			return tx.Put(k, json.RawMessage(`1`), 1)
		}, 1, 1)
		require.ErrorIs(t, err, projections.ErrInvalid, "key %q", k)
		_, err = docs.Get(ctx, "p", k)
		require.ErrorIs(t, err, projections.ErrInvalid, "key %q", k)
		err = docs.Update(ctx, "p", func(tx projections.DocTx) error { _, _, err := tx.Get(k); return err }, 1, 1)
		require.ErrorIs(t, err, projections.ErrInvalid, "key %q", k)
	}
	for _, data := range []string{"", "{", `{"a":1} x`, "\xff"} {
		err := docs.Update(ctx, "p", func(tx projections.DocTx) error { return tx.Put("k", json.RawMessage(data), 1) }, 1, 1)
		require.ErrorIs(t, err, projections.ErrInvalid, "data %q", data)
	}
	for _, p := range []string{"", "p\x00"} {
		require.ErrorIs(t, docs.Update(ctx, p, func(projections.DocTx) error { return nil }, 1, 1), projections.ErrInvalid)
		require.ErrorIs(t, docs.Reset(ctx, p), projections.ErrInvalid)
		_, _, err := docs.List(ctx, p, projections.ListParams{})
		require.ErrorIs(t, err, projections.ErrInvalid)
	}
	require.ErrorIs(t, docs.Update(ctx, "p", func(projections.DocTx) error { return nil }, -1, 0), projections.ErrInvalid)
	require.ErrorIs(t, docs.Update(ctx, "p", func(projections.DocTx) error { return nil }, 1, -1), projections.ErrInvalid)
	for _, p := range []projections.ListParams{{Limit: -1}, {KeyPrefix: "\xff"}, {After: "a\x00"}} {
		_, _, err := docs.List(ctx, "p", p)
		require.ErrorIs(t, err, projections.ErrInvalid, "%+v", p)
	}
	// Nothing of the rejected updates was written.
	_, err := docs.Get(ctx, "p", "fine")
	require.ErrorIs(t, err, projections.ErrNotFound)
	pos, n, err := docs.Checkpoint(ctx, "p")
	require.NoError(t, err)
	require.Equal(t, [2]int64{0, 0}, [2]int64{pos, n})
}

func testLargeBatches(t *testing.T, docs projections.DocStore, _ eventstore.Store) {
	ctx := ctxT(t)
	const n = 3000
	big := `{"blob":"` + strings.Repeat("x", 3<<20) + `"}`
	require.NoError(t, docs.Update(ctx, "p", func(tx projections.DocTx) error {
		for i := range n {
			if err := tx.Put(fmt.Sprintf("k%05d", i), json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)), int64(i)); err != nil {
				return err
			}
		}
		for i := range 8 {
			if err := tx.Put(fmt.Sprintf("big%d", i), json.RawMessage(big), 1); err != nil {
				return err
			}
		}
		return nil
	}, 42, n))
	seen := 0
	for p := (projections.ListParams{KeyPrefix: "k", Limit: projections.MaxListLimit}); ; {
		page, next, err := docs.List(ctx, "p", p)
		require.NoError(t, err)
		for _, d := range page {
			require.Equal(t, fmt.Sprintf("k%05d", seen), d.Key)
			require.EqualValues(t, seen, d.Version)
			seen++
		}
		if next == "" {
			break
		}
		p.After = next
	}
	require.Equal(t, n, seen)
	d, err := docs.Get(ctx, "p", "big7")
	require.NoError(t, err)
	require.Equal(t, big, string(d.Data))

	// Deleting many at once.
	require.NoError(t, docs.Update(ctx, "p", func(tx projections.DocTx) error {
		for i := range n {
			if err := tx.Delete(fmt.Sprintf("k%05d", i)); err != nil {
				return err
			}
		}
		return nil
	}, 43, 1))
	page, _, err := docs.List(ctx, "p", projections.ListParams{KeyPrefix: "k"})
	require.NoError(t, err)
	require.Empty(t, page)
}

func testSerialized(t *testing.T, docs projections.DocStore, _ eventstore.Store) {
	ctx := ctxT(t)
	const workers, rounds = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				errs <- docs.Update(ctx, "p", func(tx projections.DocTx) error {
					d, ok, err := tx.Get("counter")
					if err != nil {
						return err
					}
					var n int
					if ok {
						if err := json.Unmarshal(d.Data, &n); err != nil {
							return err
						}
					}
					return tx.Put("counter", json.RawMessage(fmt.Sprint(n+1)), int64(n+1))
				}, 1, 1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	d, err := docs.Get(ctx, "p", "counter")
	require.NoError(t, err)
	require.Equal(t, fmt.Sprint(workers*rounds), string(d.Data), "no lost updates")
	_, n, err := docs.Checkpoint(ctx, "p")
	require.NoError(t, err)
	require.EqualValues(t, workers*rounds, n)
}

func testReached(t *testing.T, docs projections.DocStore, events eventstore.Store) {
	ctx := ctxT(t)
	var pos []int64
	for i := range 3 {
		res, err := events.Append(ctx, fmt.Sprintf("s-%d", i), eventstore.Any(), []eventstore.EventData{{Type: "t", Data: json.RawMessage(`{}`)}})
		require.NoError(t, err)
		pos = append(pos, res.Events[0].GlobalPosition)
	}
	n, err := docs.EventCount(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 3, n)

	reached := func(p int64) bool {
		ok, err := docs.Reached(ctx, "p", p)
		require.NoError(t, err)
		return ok
	}
	require.True(t, reached(0))
	require.False(t, reached(pos[0]), "no checkpoint yet")
	require.NoError(t, docs.Update(ctx, "p", func(projections.DocTx) error { return nil }, pos[1], 2))
	require.True(t, reached(pos[0]))
	require.True(t, reached(pos[1]))
	require.False(t, reached(pos[2]))
	require.False(t, reached(pos[2]+1000), "a position not in the log")
	ok, err := docs.Reached(ctx, "other", pos[0])
	require.NoError(t, err)
	require.False(t, ok)
}

func testLocalsAndHooks(t *testing.T, docs projections.DocStore, _ eventstore.Store) {
	ctx := ctxT(t)
	type counter struct{ n int }
	for round := 1; round <= 2; round++ {
		inits := 0
		require.NoError(t, docs.Update(ctx, "p", func(tx projections.DocTx) error {
			for range 3 {
				c := tx.Local("counter", func() any { inits++; return &counter{} }).(*counter)
				c.n++
				if c.n == 1 {
					tx.BeforeFlush(func() error {
						// A hook may register another; both run before the flush.
						tx.BeforeFlush(func() error { return tx.Put("second", json.RawMessage(`true`), 1) })
						return tx.Put("counted", json.RawMessage(fmt.Sprint(c.n)), int64(round))
					})
				}
			}
			return nil
		}, 1, 1))
		require.Equal(t, 1, inits, "a local is created once per transaction")
		d, err := docs.Get(ctx, "p", "counted")
		require.NoError(t, err)
		require.Equal(t, "3", string(d.Data), "the local persisted between calls and was fresh in round %d", round)
		require.EqualValues(t, round, d.Version)
		_, err = docs.Get(ctx, "p", "second")
		require.NoError(t, err)
	}
}

// Package storetest is the conformance suite every eventstore.Store backend runs (STYLE habit 2:
// one shared suite per seam). A backend's test calls Run with a constructor:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Features{ConcurrentTransactions: true},
//			func(t *testing.T, opts storetest.Options) eventstore.Store { ... })
//	}
//
// Each guarantee has a rule ID (STYLE habit 13); every subtest name starts with the ID it checks.
//
//	[ES1]  Expected-version matrix: any / no_stream / stream_exists / exact(0|current|stale|future)
//	       against an absent and a present stream; the ones that do not hold fail with
//	       ErrWrongExpectedVersion and a *VersionConflictError carrying the actual version, and write
//	       nothing (stream, stream version and global log unchanged; the next version is not burnt).
//	[ES2]  Concurrent appends to one stream: with Exact(v) exactly one writer wins each version and
//	       the losers learn the new version; with Any every append succeeds. Either way the stream is
//	       gapless 1..n and the events of one append stay contiguous (batches never interleave).
//	[ES3]  Idempotency: retrying an append with the same event ids returns AlreadyApplied and the
//	       original envelopes, whatever the expected version, and writes nothing, also when the
//	       retries race. Reusing an event id in any other append fails with ErrDuplicateEventID and
//	       writes nothing.
//	[ES4]  Load: many writers on shared streams, live subscribers started before the writes receive
//	       every event exactly once, in the global log's order, each stream in version order.
//	[ES5]  Out-of-order commits (Features.ConcurrentTransactions): several open transactions
//	       committed in reverse order, one rolled back. Subscribers and ReadAll cursors see every
//	       committed event exactly once, never the rolled-back one, and never find an event ordered
//	       before a position they have already passed.
//	[ES6]  A long-open transaction delays delivery but loses nothing; its events are invisible until
//	       it commits and it does not block readers.
//	[ES7]  Resume from a checkpoint: a subscription stopped after some events and restarted with
//	       After = the last handled position receives exactly the rest. Checkpoints: 0 when absent,
//	       CheckpointSwap is a compare-and-swap (exactly one of racing swaps wins).
//	[ES8]  Snapshots: SnapshotLoad returns the latest at or below maxVersion (0: latest), ErrNotFound
//	       otherwise; data round-trips; saving at an existing version replaces it.
//	[ES9]  Limits and large payloads: a 1 MB event round-trips through ReadStream, ReadAll and
//	       Subscribe; MaxEventDataBytes and MaxBatchEvents are accepted; page sizes default to 500.
//	[ES10] Bad input (appends and snapshots) is rejected with ErrInvalidInput and writes nothing;
//	       input a database may refuse (NUL bytes, lone surrogates) is either stored faithfully or
//	       rejected the same way, never with a raw driver error.
//	[ES11] Envelopes round-trip every field (given id kept, zero id becomes a UUID v7, schema version
//	       defaults to 1, time is now); ReadStream and ReadAll page correctly; Topic keeps exactly
//	       the streams named Topic or Topic-*.
//	[ES12] Subscribe returns ctx.Err() when its context ends and the handler's error when it fails.
//	[ES14] AppendBatch (stores that implement eventstore.BatchAppender): a batch commits as a whole
//	       (nothing visible before the commit, nothing written if it fails, everything after); an
//	       item that fails (wrong expected version, reused event id, invalid input) gets its own
//	       error and writes nothing while the others commit; items for one stream see each other's
//	       versions; an empty batch does nothing, an oversized one fails as a whole, and after Close
//	       a batch fails with ErrClosed; the batch
//	       enters the global log contiguously in batch order; batches racing single appends keep
//	       versions unique and gapless and subscribers receive every event exactly once.
//	[ES13] Close waits for in-flight appends; afterwards every method fails with ErrClosed and a
//	       running subscription ends with ErrClosed.
//
// ReadAll need not show an append at once: it may hold back commits behind an older open
// transaction (in Postgres, of any database on the server). Where the suite needs the whole log it
// first appends a marker to a "storetest-sync-<uuid>" stream and waits until ReadAll shows it;
// comparisons leave these markers out, but a backend author reading a failure will see them.
package storetest

import (
	"testing"
	"time"

	"github.com/goflow-dev/goflow/eventstore"
)

// Options are what the suite asks of the store under test.
type Options struct {
	// BeforeCommit must be installed in the store under test (see eventstore.BeforeCommitFunc).
	BeforeCommit eventstore.BeforeCommitFunc
	// PollInterval is the subscription fallback poll; the suite passes small values like 50ms.
	PollInterval time.Duration
}

// Features declares what the backend can do; the suite skips rules a backend cannot meet.
type Features struct {
	// ConcurrentTransactions: appends to different streams can be open (uncommitted) at the same
	// time (Postgres yes; SQLite has one writer, so no). The suite then holds 4 appends open at
	// once while it reads and appends more, so the backend needs more than 4 connections.
	ConcurrentTransactions bool
}

// OpenFunc returns a fresh, migrated, EMPTY store (its own database) that the suite may close; the
// constructor registers cleanup with t.Cleanup (which must tolerate a store the suite closed).
type OpenFunc func(t *testing.T, opts Options) eventstore.Store

// pollInterval is what the suite asks backends to poll at; small so that a lost wake-up costs little.
const pollInterval = 50 * time.Millisecond

type rule struct {
	name string
	// needs reports why the rule does not apply to a backend, "" if it does.
	needs func(Features) string
	run   func(t *testing.T, f *fixture)
}

func rules() []rule {
	concurrent := func(f Features) string {
		if !f.ConcurrentTransactions {
			return "backend has one writer (Features.ConcurrentTransactions is false)"
		}
		return ""
	}
	return []rule{
		{name: "ES1_ExpectedVersionMatrix", run: testExpectedVersionMatrix},
		{name: "ES2_ConcurrentExactLockstep", run: testConcurrentExactLockstep},
		{name: "ES2_ConcurrentExactRetryLoop", run: testConcurrentExactRetryLoop},
		{name: "ES2_ConcurrentAny", run: testConcurrentAny},
		{name: "ES3_IdempotentRetry", run: testIdempotentRetry},
		{name: "ES3_DuplicateEventID", run: testDuplicateEventID},
		{name: "ES3_ConcurrentRetries", run: testConcurrentRetries},
		{name: "ES4_LoadLiveSubscribers", run: testLoadLiveSubscribers},
		{name: "ES5_OutOfOrderCommitsAndRollback", needs: concurrent, run: testOutOfOrderCommits},
		{name: "ES6_LongOpenTransaction", run: testLongOpenTransaction},
		{name: "ES7_ResumeFromCheckpoint", run: testResumeFromCheckpoint},
		{name: "ES7_CheckpointSwap", run: testCheckpointSwap},
		{name: "ES8_Snapshots", run: testSnapshots},
		{name: "ES9_LargePayload", run: testLargePayload},
		{name: "ES9_Limits", run: testLimits},
		{name: "ES10_BadAppendInput", run: testBadAppendInput},
		{name: "ES10_BadSnapshotInput", run: testBadSnapshotInput},
		{name: "ES10_UnstorableText", run: testUnstorableText},
		{name: "ES11_EnvelopeFields", run: testEnvelopeFields},
		{name: "ES11_ReadStreamPaging", run: testReadStreamPaging},
		{name: "ES11_ReadAllPaging", run: testReadAllPaging},
		{name: "ES11_TopicFilter", run: testTopicFilter},
		{name: "ES11_Head", run: testHead},
		{name: "ES12_SubscribeCancel", run: testSubscribeCancel},
		{name: "ES12_SubscribeHandlerError", run: testSubscribeHandlerError},
		{name: "ES13_Close", run: testClose},
		{name: "ES14_AppendBatchAtomicVisibility", run: testBatchAtomicVisibility},
		{name: "ES14_AppendBatchItemErrorsIsolated", run: testBatchItemErrorsIsolated},
		{name: "ES14_AppendBatchSameStream", run: testBatchSameStream},
		{name: "ES14_AppendBatchEmptyAndLimits", run: testBatchEmptyAndLimits},
		{name: "ES14_AppendBatchGlobalOrder", run: testBatchGlobalOrder},
		{name: "ES14_AppendBatchConcurrentWithAppends", run: testBatchConcurrentWithAppends},
	}
}

// Run runs the conformance suite. Every subtest opens its own store and runs in parallel.
func Run(t *testing.T, features Features, open OpenFunc) {
	t.Helper()
	for _, r := range rules() {
		t.Run(r.name, func(t *testing.T) {
			if r.needs != nil {
				if why := r.needs(features); why != "" {
					t.Skip(why)
				}
			}
			t.Parallel()
			r.run(t, setup(t, features, open))
		})
	}
}

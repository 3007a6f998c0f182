package storetest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
)

// [ES1] The expected-version matrix.
func testExpectedVersionMatrix(t *testing.T, f *fixture) {
	const present = 3 // version of a present stream; an absent stream is at 0
	type row struct {
		name     string
		present  bool
		expected eventstore.Expected
		ok       bool
	}
	// exact(stale) has no absent-stream row: below 0 is invalid input ([ES10]).
	rows := []row{
		{"absent/any", false, eventstore.Any(), true},
		{"absent/no_stream", false, eventstore.NoStream(), true},
		{"absent/stream_exists", false, eventstore.StreamExists(), false},
		{"absent/exact(0)", false, eventstore.Exact(0), true},
		{"absent/exact(current)", false, eventstore.Exact(0), true},
		{"absent/exact(future)", false, eventstore.Exact(1), false},
		{"absent/exact(far_future)", false, eventstore.Exact(100), false},
		{"present/any", true, eventstore.Any(), true},
		{"present/no_stream", true, eventstore.NoStream(), false},
		{"present/stream_exists", true, eventstore.StreamExists(), true},
		{"present/exact(0)", true, eventstore.Exact(0), false},
		{"present/exact(current)", true, eventstore.Exact(present), true},
		{"present/exact(stale)", true, eventstore.Exact(present - 1), false},
		{"present/exact(stale_by_more)", true, eventstore.Exact(1), false},
		{"present/exact(future)", true, eventstore.Exact(present + 1), false},
	}
	for i, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			f := *f
			f.t = t
			stream := fmt.Sprintf("matrix-%d", i)
			cur := int64(0)
			if r.present {
				f.append(stream, eventstore.NoStream(), batch(stream+"/setup", present)...)
				cur = present
			}
			streamBefore, logBefore := f.readStream(stream), f.readAll("", 0)
			events := batch(stream+"/attempt", 2)

			res, err := f.store.Append(f.ctx, stream, r.expected, events)
			if r.ok {
				require.NoError(t, err, "append with %s to a stream at %d", r.expected, cur)
				require.False(t, res.AlreadyApplied)
				require.Equal(t, cur+2, res.StreamVersion, "AppendResult.StreamVersion")
				require.Equal(t, dataIDs(events), ids(res.Events))
				require.Equal(t, cur+1, res.Events[0].StreamVersion)
				require.Equal(t, cur+2, res.Events[1].StreamVersion)
				require.Equal(t, cur+2, f.streamVersion(stream))
				requireEnvelopesEqual(t, append(streamBefore, res.Events...), f.readStream(stream), "ReadStream after the append")
				return
			}
			requireConflict(t, err, stream, r.expected, cur)
			f.requireUnchanged("failed append", stream, streamBefore, logBefore)

			// The failure burnt nothing: the right condition now gets exactly the next version.
			res = f.append(stream, eventstore.Exact(cur), events...)
			require.Equal(t, cur+1, res.Events[0].StreamVersion, "first version after a failed append")
			require.Equal(t, cur+2, res.StreamVersion)
		})
	}
}

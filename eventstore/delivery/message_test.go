package delivery

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/eventstore"
)

func TestEnvelopeFromMessageRoundTrips(t *testing.T) {
	t.Parallel()
	cause, corr := uuid.New(), uuid.New()
	full := eventstore.Envelope{
		ID: uuid.Must(uuid.NewV7()), StreamID: "page-1", StreamVersion: 7, GlobalPosition: 1234,
		Type: "page.node_prop_set", Data: json.RawMessage(`{"path":"/props/label","value":"ü"}`),
		SchemaVersion: 2, Actor: "ada", CausationID: &cause, CorrelationID: &corr, ClientOpID: "c1:9",
		Time: time.Date(2025, 3, 4, 5, 6, 7, 891011000, time.UTC),
	}
	bare := eventstore.Envelope{
		ID: uuid.New(), StreamID: "app-x", StreamVersion: 1, GlobalPosition: 1, Type: "app.created",
		Data: json.RawMessage(`{}`), SchemaVersion: 1, Time: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for _, e := range []eventstore.Envelope{full, bare} {
		got, err := EnvelopeFromMessage(messageFromEvent(e))
		require.NoError(t, err)
		require.Equal(t, e, got)
	}
}

// An event appended by the Publisher is delivered as the original message; its envelope keeps the
// stored event's id.
func TestEnvelopeFromPublishedMessage(t *testing.T) {
	t.Parallel()
	msg := message.NewMessage("msg-1", []byte("opaque"))
	data, err := eventFromMessage("topic_a", msg)
	require.NoError(t, err)
	stored := eventstore.Envelope{
		ID: data.ID, StreamID: "topic_a", StreamVersion: 1, GlobalPosition: 3, Type: data.Type,
		Data: data.Data, SchemaVersion: 1, Time: time.Now().UTC(),
	}
	delivered := messageFromEvent(stored)
	require.Equal(t, "msg-1", delivered.UUID)
	got, err := EnvelopeFromMessage(delivered)
	require.NoError(t, err)
	require.Equal(t, data.ID, got.ID)
	require.Equal(t, "opaque", string(got.Data))
}

func TestEnvelopeFromMessageRejectsBadMetadata(t *testing.T) {
	t.Parallel()
	good := func() *message.Message {
		return messageFromEvent(eventstore.Envelope{
			ID: uuid.New(), StreamID: "s-1", StreamVersion: 1, GlobalPosition: 1, Type: "t",
			Data: json.RawMessage(`{}`), SchemaVersion: 1, Time: time.Now(),
		})
	}
	for _, tc := range []struct{ key, value string }{
		{MetaStreamID, ""}, {MetaEventType, ""}, {MetaStreamVersion, "x"}, {MetaGlobalPosition, ""},
		{MetaSchemaVersion, "1.5"}, {MetaTime, "yesterday"}, {MetaCausationID, "not-a-uuid"},
		{MetaCorrelationID, "nope"},
	} {
		msg := good()
		msg.Metadata.Set(tc.key, tc.value)
		_, err := EnvelopeFromMessage(msg)
		require.ErrorIs(t, err, eventstore.ErrInvalidInput, tc.key)
		require.ErrorContains(t, err, tc.key)
	}
	msg := good()
	msg.UUID = "not-a-uuid"
	_, err := EnvelopeFromMessage(msg)
	require.ErrorIs(t, err, eventstore.ErrInvalidInput)
}

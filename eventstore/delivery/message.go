// Package delivery carries committed events to consumers as watermill messages.
//
// A Subscriber follows the global log of any eventstore backend and hands each event to watermill
// as a message, one at a time, waiting for its Ack (in order; a Nack redelivers the same event).
// Its progress is a checkpoint per consumer group and topic, kept in the store itself, and only one
// subscriber of a group consumes a topic at a time (a lease, also kept in the store), so a group
// sees each event once, in order, unless a consumer dies between handling and saving its progress.
// A consumer that commits its progress itself (SubscriberConfig.ResumeFrom) replaces that
// checkpoint with its own. EnvelopeFromMessage turns a delivered message back into its envelope.
//
// A topic is a stream id or a stream category: topic "page" receives every "page-<id>" stream,
// topic "page-42" exactly that stream, and topic AllTopic the whole log.
//
// A Publisher appends messages to the stream named by the topic, so that watermill's own Pub/Sub
// test suite can exercise the Subscriber; GoFlow itself appends through the eventstore.
package delivery

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/goflow-dev/goflow/eventstore"
)

// AllTopic subscribes to the whole global log.
const AllTopic = "$all"

// PublishedType is the event type of messages appended by the Publisher: their data wraps the
// message's opaque payload and metadata.
const PublishedType = "watermill.message"

// Metadata keys set on every delivered message.
const (
	MetaStreamID       = "stream_id"
	MetaStreamVersion  = "stream_version"
	MetaGlobalPosition = "global_position"
	MetaEventType      = "event_type"
	MetaSchemaVersion  = "schema_version"
	MetaActor          = "actor"
	MetaCausationID    = "causation_id"
	MetaCorrelationID  = "correlation_id"
	MetaClientOpID     = "client_op_id"
	MetaTime           = "time"
)

// published is the data of a PublishedType event.
type published struct {
	UUID     string            `json:"uuid"`
	Payload  []byte            `json:"payload"` // base64: watermill payloads are arbitrary bytes
	Metadata map[string]string `json:"metadata,omitempty"`
}

// namespace derives event ids from (topic, message UUID): the same message may be published to
// several topics, and publishing it twice to one topic must write it once.
var namespace = uuid.MustParse("6f1d2c3a-8c1e-4f7b-9a55-3c2b1e0d9f10")

func eventFromMessage(topic string, msg *message.Message) (eventstore.EventData, error) {
	id := uuid.NewSHA1(namespace, []byte(topic+"\x00"+msg.UUID))
	data, err := json.Marshal(published{UUID: msg.UUID, Payload: msg.Payload, Metadata: msg.Metadata})
	if err != nil {
		return eventstore.EventData{}, fmt.Errorf("encode message %s: %w", msg.UUID, err)
	}
	return eventstore.EventData{ID: id, Type: PublishedType, Data: data, Actor: msg.Metadata.Get(MetaActor)}, nil
}

// messageFromEvent builds a fresh message for one delivery attempt (watermill messages cannot be
// acked twice, so a redelivery needs a new one).
func messageFromEvent(e eventstore.Envelope) *message.Message {
	meta := message.Metadata{}
	id, payload := e.ID.String(), []byte(e.Data)
	if e.Type == PublishedType {
		var p published
		if err := json.Unmarshal(e.Data, &p); err == nil {
			id, payload = p.UUID, p.Payload
			for k, v := range p.Metadata {
				meta[k] = v
			}
		}
	}
	msg := message.NewMessage(id, payload)
	for k, v := range meta {
		msg.Metadata.Set(k, v)
	}
	msg.Metadata.Set(MetaStreamID, e.StreamID)
	msg.Metadata.Set(MetaStreamVersion, strconv.FormatInt(e.StreamVersion, 10))
	msg.Metadata.Set(MetaGlobalPosition, strconv.FormatInt(e.GlobalPosition, 10))
	msg.Metadata.Set(MetaEventType, e.Type)
	msg.Metadata.Set(MetaSchemaVersion, strconv.Itoa(e.SchemaVersion))
	msg.Metadata.Set(MetaTime, e.Time.Format(time.RFC3339Nano))
	setIf(msg, MetaActor, e.Actor)
	setIf(msg, MetaClientOpID, e.ClientOpID)
	if e.CausationID != nil {
		msg.Metadata.Set(MetaCausationID, e.CausationID.String())
	}
	if e.CorrelationID != nil {
		msg.Metadata.Set(MetaCorrelationID, e.CorrelationID.String())
	}
	return msg
}

// MetaBatch marks a message that carries several events (SubscriberConfig.Batch): its payload is
// their envelopes as a JSON array, and its other metadata describe the last of them.
const MetaBatch = "goflow_batch"

// messageFromEvents builds one message for a batch of events; see MetaBatch.
func messageFromEvents(events []eventstore.Envelope) (*message.Message, error) {
	if len(events) == 1 {
		return messageFromEvent(events[0]), nil
	}
	payload, err := json.Marshal(events)
	if err != nil {
		return nil, fmt.Errorf("encode a batch of %d events: %w", len(events), err)
	}
	last := messageFromEvent(events[len(events)-1])
	msg := message.NewMessage(last.UUID, payload)
	for k, v := range last.Metadata {
		msg.Metadata.Set(k, v)
	}
	msg.Metadata.Set(MetaBatch, strconv.Itoa(len(events)))
	return msg, nil
}

// EnvelopesFromMessage returns the events of a message: every event of a batch message, or the
// one event of any other (see EnvelopeFromMessage).
func EnvelopesFromMessage(msg *message.Message) ([]eventstore.Envelope, error) {
	if msg.Metadata.Get(MetaBatch) == "" {
		e, err := EnvelopeFromMessage(msg)
		if err != nil {
			return nil, err
		}
		return []eventstore.Envelope{e}, nil
	}
	var events []eventstore.Envelope
	if err := json.Unmarshal(msg.Payload, &events); err != nil || len(events) == 0 {
		return nil, fmt.Errorf("batch message %s: %w: payload is not a list of envelopes", msg.UUID, eventstore.ErrInvalidInput)
	}
	return events, nil
}

func setIf(msg *message.Message, key, value string) {
	if value != "" {
		msg.Metadata.Set(key, value)
	}
}

// EnvelopeFromMessage rebuilds the envelope of a message delivered by a Subscriber from its
// metadata and payload. For an event appended by the Publisher (type PublishedType) the envelope
// has the stored event's id but the message's payload as Data, not the stored wrapper.
func EnvelopeFromMessage(msg *message.Message) (eventstore.Envelope, error) {
	meta := msg.Metadata
	e := eventstore.Envelope{
		StreamID:   meta.Get(MetaStreamID),
		Type:       meta.Get(MetaEventType),
		Data:       json.RawMessage(msg.Payload),
		Actor:      meta.Get(MetaActor),
		ClientOpID: meta.Get(MetaClientOpID),
	}
	bad := func(key string, err error) (eventstore.Envelope, error) {
		return eventstore.Envelope{}, fmt.Errorf("envelope of message %s: %w: metadata %s=%q: %v",
			msg.UUID, eventstore.ErrInvalidInput, key, meta.Get(key), err)
	}
	if e.StreamID == "" {
		return bad(MetaStreamID, errors.New("missing"))
	}
	if e.Type == "" {
		return bad(MetaEventType, errors.New("missing"))
	}
	var err error
	if e.StreamVersion, err = strconv.ParseInt(meta.Get(MetaStreamVersion), 10, 64); err != nil {
		return bad(MetaStreamVersion, err)
	}
	if e.GlobalPosition, err = strconv.ParseInt(meta.Get(MetaGlobalPosition), 10, 64); err != nil {
		return bad(MetaGlobalPosition, err)
	}
	if e.SchemaVersion, err = strconv.Atoi(meta.Get(MetaSchemaVersion)); err != nil {
		return bad(MetaSchemaVersion, err)
	}
	if e.Time, err = time.Parse(time.RFC3339Nano, meta.Get(MetaTime)); err != nil {
		return bad(MetaTime, err)
	}
	e.Time = e.Time.UTC()
	if e.Type == PublishedType {
		// The Publisher derived the stored id from the topic (the stream) and the message UUID.
		e.ID = uuid.NewSHA1(namespace, []byte(e.StreamID+"\x00"+msg.UUID))
	} else if e.ID, err = uuid.Parse(msg.UUID); err != nil {
		return bad("uuid", err)
	}
	for _, f := range []struct {
		key string
		dst **uuid.UUID
	}{{MetaCausationID, &e.CausationID}, {MetaCorrelationID, &e.CorrelationID}} {
		if v := meta.Get(f.key); v != "" {
			id, err := uuid.Parse(v)
			if err != nil {
				return bad(f.key, err)
			}
			*f.dst = &id
		}
	}
	return e, nil
}

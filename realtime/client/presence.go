package client

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/goflow-dev/goflow/realtime"
)

// SetPresence shares state (free-form JSON, at most realtime.MaxPresenceBytes) on doc; it is
// sent again after every reconnect.
func (s *Session) SetPresence(doc string, state json.RawMessage) error {
	if !json.Valid(state) {
		return fmt.Errorf("realtime client: presence state is not JSON")
	}
	if len(state) > realtime.MaxPresenceBytes {
		return fmt.Errorf("realtime client: presence state is %d bytes, at most %d", len(state), realtime.MaxPresenceBytes)
	}
	s.mu.Lock()
	defer s.unlock()
	d := s.docs[doc]
	if d == nil {
		return fmt.Errorf("%w: %q", ErrUnknownDoc, doc)
	}
	me := append(json.RawMessage(nil), state...)
	d.base().me = me
	s.queue(realtime.Presence{Type: realtime.TypePresence, Doc: doc, State: me})
	return nil
}

// Others returns the presence of the other clients on doc, by client id.
func (s *Session) Others(doc string) map[string]realtime.PresenceInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[doc]
	if d == nil {
		return nil
	}
	return maps.Clone(d.base().others)
}

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/goflow-dev/goflow/domain"
	"github.com/goflow-dev/goflow/eventstore"
	"github.com/goflow-dev/goflow/web/auth"
)

// newSetupToken returns a fresh setup token when the store has no account yet, "" otherwise.
// It asks the event store rather than the users projection, which may still be catching up.
func newSetupToken(ctx context.Context, st eventstore.Store) (string, error) {
	// Every user stream starts with its user.created event, so one event means one account.
	evs, err := st.ReadAll(ctx, eventstore.ReadAllParams{Topic: domain.CategoryUser, Limit: 1})
	if err != nil {
		return "", fmt.Errorf("look for accounts: %w", err)
	}
	if len(evs) > 0 {
		return "", nil
	}
	return auth.NewSecret(), nil
}

// setupMessage is the first line of the setup notice, and the message of its JSON log record.
const setupMessage = "GoFlow has no accounts yet: create the first administrator"

// printSetupNotice tells the operator how to create the first administrator with the setup
// token. Text logs get a multi-line block a person can copy from; JSON logs one record that
// keeps the stream parseable.
func printSetupNotice(w io.Writer, log *slog.Logger, jsonLogs bool, token string, addr net.Addr) {
	base := "http://" + browsableHost(addr)
	body := fmt.Sprintf(`{"setupToken":%q,"username":"admin","password":"<choose one>"}`, token)
	curl := fmt.Sprintf(`curl -X POST %s/api/auth/setup -H 'Content-Type: application/json' -d '%s'`, base, body)
	const create = "goflow user create --admin --username admin"
	if jsonLogs {
		log.Warn(setupMessage, "setupToken", token, "url", base, "curl", curl, "cli", create)
		return
	}
	rule := strings.Repeat("=", 78)
	fmt.Fprintf(w, `%s
%s.

Setup token: %s

  * create it with curl (choose the password; the answer signs you in):
        %s
  * or on this machine, with this server's store flags (prints a generated password):
        %s

The setup token works until the first administrator exists; setup is refused after that.
%s
`, rule, setupMessage, token, curl, create, rule)
}

// browsableHost is addr as a browser on the same machine would reach it: localhost for the
// wildcard and loopback addresses.
func browsableHost(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && (ip.IsUnspecified() || ip.IsLoopback()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

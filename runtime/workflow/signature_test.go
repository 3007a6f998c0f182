package workflow_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goflow-dev/goflow/runtime/workflow"
)

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	body := []byte(`{"workflow":"w","payload":null,"sessionId":"","correlationId":"","attempt":1}`)
	good := workflow.Sign("s3cret", ts, body)
	tests := []struct {
		name      string
		secret    string
		timestamp string
		body      []byte
		header    string
		now       time.Time
		wantErr   error
	}{
		{name: "valid", secret: "s3cret", timestamp: ts, body: body, header: good, now: now},
		{name: "valid within skew", secret: "s3cret", timestamp: ts, body: body, header: good, now: now.Add(4 * time.Minute)},
		{name: "wrong secret", secret: "other", timestamp: ts, body: body, header: good, now: now, wantErr: workflow.ErrSignatureInvalid},
		{name: "empty secret", secret: "", timestamp: ts, body: body, header: workflow.Sign("", ts, body), now: now, wantErr: workflow.ErrSignatureInvalid},
		{name: "body changed", secret: "s3cret", timestamp: ts, body: append([]byte(" "), body...), header: good, now: now, wantErr: workflow.ErrSignatureInvalid},
		{name: "timestamp changed", secret: "s3cret", timestamp: strconv.FormatInt(now.Unix()+1, 10), body: body, header: good, now: now, wantErr: workflow.ErrSignatureInvalid},
		{name: "too old", secret: "s3cret", timestamp: ts, body: body, header: good, now: now.Add(6 * time.Minute), wantErr: workflow.ErrSignatureExpired},
		{name: "from the future", secret: "s3cret", timestamp: ts, body: body, header: good, now: now.Add(-6 * time.Minute), wantErr: workflow.ErrSignatureExpired},
		{name: "timestamp not a number", secret: "s3cret", timestamp: "yesterday", body: body, header: good, now: now, wantErr: workflow.ErrSignatureExpired},
		{name: "missing prefix", secret: "s3cret", timestamp: ts, body: body, header: good[len("sha256="):], now: now, wantErr: workflow.ErrSignatureInvalid},
		{name: "not hex", secret: "s3cret", timestamp: ts, body: body, header: "sha256=zz", now: now, wantErr: workflow.ErrSignatureInvalid},
		{name: "missing header", secret: "s3cret", timestamp: ts, body: body, header: "", now: now, wantErr: workflow.ErrSignatureInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := workflow.VerifySignature(tt.secret, tt.timestamp, tt.body, tt.header, tt.now, 0)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
	// The format is fixed by the contract: a vector computed independently (Python hmac) guards it.
	require.Equal(t, "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae",
		workflow.Sign("key", "1700000000", []byte("{}")))
}

package workflow

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Signature headers of a flow service request; see the package documentation.
const (
	HeaderTimestamp = "X-GoFlow-Timestamp"
	HeaderSignature = "X-GoFlow-Signature"
	signaturePrefix = "sha256="
	// DefaultMaxSkew is the accepted distance between a request's timestamp and the receiver's
	// clock when VerifySignature is given no maxSkew.
	DefaultMaxSkew = 5 * time.Minute
)

// Errors of [VerifySignature].
var (
	// ErrSignatureInvalid: the signature header is missing, malformed or does not match.
	ErrSignatureInvalid = errors.New("invalid flow service signature")
	// ErrSignatureExpired: the timestamp is malformed or too far from the receiver's clock.
	ErrSignatureExpired = errors.New("flow service request timestamp out of range")
)

// Sign returns the X-GoFlow-Signature value for body sent at timestamp (unix seconds, as sent in
// X-GoFlow-Timestamp): "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)).
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks a flow service request: timestamp and header are the values of the
// X-GoFlow-Timestamp and X-GoFlow-Signature headers, body the raw request body, now the receiver's
// clock. The timestamp must be within maxSkew of now (DefaultMaxSkew when maxSkew <= 0), which
// bounds replays; the signature is compared in constant time. It returns nil, or an error matching
// [ErrSignatureExpired] or [ErrSignatureInvalid]. An empty secret never verifies.
func VerifySignature(secret, timestamp string, body []byte, header string, now time.Time, maxSkew time.Duration) error {
	if secret == "" {
		return fmt.Errorf("%w: no shared secret configured", ErrSignatureInvalid)
	}
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not unix seconds", ErrSignatureExpired, HeaderTimestamp, timestamp)
	}
	if skew := now.Sub(time.Unix(ts, 0)).Abs(); skew > maxSkew {
		return fmt.Errorf("%w: %s is %s away from now (max %s)", ErrSignatureExpired, HeaderTimestamp, skew.Round(time.Second), maxSkew)
	}
	hexSig, ok := strings.CutPrefix(header, signaturePrefix)
	if !ok {
		return fmt.Errorf("%w: %s must start with %q", ErrSignatureInvalid, HeaderSignature, signaturePrefix)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: %s is not a hex SHA-256 MAC", ErrSignatureInvalid, HeaderSignature)
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(Sign(secret, timestamp, body), signaturePrefix))
	if !hmac.Equal(got, want) {
		return fmt.Errorf("%w: signature does not match", ErrSignatureInvalid)
	}
	return nil
}

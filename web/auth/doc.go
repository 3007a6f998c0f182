// Package auth provides GoFlow's credential primitives: argon2id password hashes, random
// secrets and their stored digests, the API token and session cookie formats, CSRF tokens, and
// a login throttle. It holds no storage and no HTTP handlers; the account service composes
// these pieces.
package auth

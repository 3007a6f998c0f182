package web

import (
	"net/http"
	"strconv"
	"time"
)

// queryVersion reads the required ?expectedVersion= of a DELETE (which has no body).
func queryVersion(r *http.Request) (int64, error) {
	s := r.URL.Query().Get("expectedVersion")
	if s == "" {
		return 0, badRequest("required", "expectedVersion", "The expectedVersion query parameter is required: send the version you last read.")
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, badRequest("invalid_version", "expectedVersion", "expectedVersion must be a non-negative integer, got %q.", s)
	}
	return v, nil
}

// queryPositive reads an optional positive integer query parameter (0 when absent).
func queryPositive(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 1 {
		return 0, badRequest("invalid_"+name, name, "%s must be a positive integer, got %q.", name, s)
	}
	return v, nil
}

// queryTime reads an optional RFC 3339 time query parameter (the zero time when absent).
func queryTime(r *http.Request, name string) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, badRequest("invalid_time", name, "%s must be an RFC 3339 time such as 2025-01-31T12:00:00Z, got %q.", name, s)
	}
	return t, nil
}

package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/goflow-dev/goflow/web"
)

// envBindings maps flag names to the environment variables that set them.
type envBindings map[string]string

// applyEnv gives every flag that was not set on the command line the value of its environment
// variable, if that is set and non-empty. Flags override environment variables, which override the
// flags' defaults. Values go through the flag's own parser, so a bad GOFLOW_* value is reported
// like a bad flag.
func applyEnv(fs *flag.FlagSet, env envBindings, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, key := range env {
		if given[name] {
			continue
		}
		v := getenv(key)
		if v == "" {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return fmt.Errorf("environment variable %s=%q: %w", key, v, err)
		}
	}
	return nil
}

// withEnv appends "(env NAME)" to a flag's usage text.
func withEnv(usage, key string) string { return usage + " (env " + key + ")" }

// Environment variables.
const (
	envAddr        = "GOFLOW_ADDR"
	envDatabaseURL = "GOFLOW_DATABASE_URL"
	envDataDir     = "GOFLOW_DATA_DIR"
	envNoMigrate   = "GOFLOW_NO_MIGRATE"
	envLogLevel    = "GOFLOW_LOG_LEVEL"
	envLogFormat   = "GOFLOW_LOG_FORMAT"

	envSecretKey      = "GOFLOW_SECRET_KEY"
	envSecretKeyFile  = "GOFLOW_SECRET_KEY_FILE"
	envInsecureDevKey = "GOFLOW_INSECURE_DEV_KEY"
	envSecureCookies  = "GOFLOW_SECURE_COOKIES"
	envSessionIdle    = "GOFLOW_SESSION_IDLE"
	envSessionMax     = "GOFLOW_SESSION_MAX"
)

// storeFlags select the event store backend (see openStore).
type storeFlags struct {
	databaseURL string
	dataDir     string
}

func (f *storeFlags) register(fs *flag.FlagSet, env envBindings) {
	fs.StringVar(&f.databaseURL, "database-url", "",
		withEnv("Postgres URL (postgres://...); empty: the embedded SQLite store in --data-dir", envDatabaseURL))
	fs.StringVar(&f.dataDir, "data-dir", "./data",
		withEnv("directory of the embedded SQLite store (goflow.db)", envDataDir))
	env["database-url"] = envDatabaseURL
	env["data-dir"] = envDataDir
}

// logFlags configure the structured logger.
type logFlags struct {
	level  string
	format string
}

func (f *logFlags) register(fs *flag.FlagSet, env envBindings) {
	fs.StringVar(&f.level, "log-level", "info", withEnv("log level: debug, info, warn or error", envLogLevel))
	fs.StringVar(&f.format, "log-format", "text", withEnv("log format: text or json", envLogFormat))
	env["log-level"] = envLogLevel
	env["log-format"] = envLogFormat
}

// json reports whether the logs are JSON records.
func (f *logFlags) json() bool { return strings.EqualFold(f.format, "json") }

// logger builds the slog logger the flags describe, writing to w.
func (f *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.level)); err != nil {
		return nil, usageError("log level %q (--log-level, %s): want debug, info, warn or error", f.level, envLogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(f.format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, usageError("log format %q (--log-format, %s): want text or json", f.format, envLogFormat)
	}
}

// sessionFlags configure sign-in sessions (web.AuthConfig).
type sessionFlags struct {
	secureCookies bool
	idle, max     time.Duration
}

func (f *sessionFlags) register(fs *flag.FlagSet, env envBindings) {
	fs.BoolVar(&f.secureCookies, "secure-cookies", false,
		withEnv("mark the session cookie Secure even on plain HTTP (set it behind a TLS-terminating proxy)", envSecureCookies))
	fs.DurationVar(&f.idle, "session-idle", 12*time.Hour, withEnv("end a session unused for this long", envSessionIdle))
	fs.DurationVar(&f.max, "session-max", 7*24*time.Hour, withEnv("end every session this long after sign-in", envSessionMax))
	env["secure-cookies"] = envSecureCookies
	env["session-idle"] = envSessionIdle
	env["session-max"] = envSessionMax
}

func (f *sessionFlags) validate() error {
	if f.idle <= 0 || f.max <= 0 {
		return usageError("--session-idle (%s) and --session-max (%s) must be positive", f.idle, f.max)
	}
	return nil
}

// authConfig returns the web server's account settings; setupToken may be "".
func (f *sessionFlags) authConfig(setupToken string) web.AuthConfig {
	return web.AuthConfig{SetupToken: setupToken, SessionIdle: f.idle, SessionMax: f.max, SecureCookies: f.secureCookies}
}

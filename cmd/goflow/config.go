package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
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

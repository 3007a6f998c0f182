package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/goflow-dev/goflow/web"
)

// serve runs the HTTP server until ctx ends (SIGINT or SIGTERM in main), then shuts down: the HTTP
// server drains its requests, then the store closes after its in-flight appends.
func (a app) serve(ctx context.Context, args []string) (err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	env := envBindings{}
	var (
		addr      string
		noMigrate bool
		sf        storeFlags
		lf        logFlags
	)
	fs.StringVar(&addr, "addr", ":8080", withEnv("HTTP listen address", envAddr))
	env["addr"] = envAddr
	fs.BoolVar(&noMigrate, "no-migrate", false, withEnv("do not apply pending migrations on start", envNoMigrate))
	env["no-migrate"] = envNoMigrate
	sf.register(fs, env)
	lf.register(fs, env)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: goflow serve [flags]\n\nRun the HTTP server.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := a.parse(fs, env, args); err != nil {
		return helpOK(err)
	}
	log, err := lf.logger(a.stderr)
	if err != nil {
		return err
	}

	log.Info("goflow starting", "version", version)
	st, desc, err := openStore(ctx, sf, log)
	if err != nil {
		return err
	}
	log.Info("event store open", "store", desc)
	defer func() {
		log.Info("closing event store")
		if cerr := st.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close store: %w", cerr))
		}
		if err == nil {
			log.Info("goflow stopped")
		}
	}()

	if err := migrateOnStart(ctx, st, noMigrate, log); err != nil {
		return err
	}

	srv, err := web.New(web.Config{Addr: addr, Logger: log, Store: st})
	if err != nil {
		return err
	}
	return srv.ListenAndServe(ctx)
}

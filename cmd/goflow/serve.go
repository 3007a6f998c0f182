package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"

	"github.com/goflow-dev/goflow/projections"
	"github.com/goflow-dev/goflow/web"
)

// serve runs the HTTP server and the projections runner until ctx ends (SIGINT or SIGTERM in
// main), then shuts down: the HTTP server drains its requests, the runner stops, then the stores
// close (the event store after its in-flight appends).
func (a app) serve(ctx context.Context, args []string) (err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	env := envBindings{}
	var (
		addr      string
		noMigrate bool
		sf        storeFlags
		lf        logFlags
		kf        secretKeyFlags
		sess      sessionFlags
		ff        fanoutFlags
	)
	fs.StringVar(&addr, "addr", ":8080", withEnv("HTTP listen address", envAddr))
	env["addr"] = envAddr
	fs.BoolVar(&noMigrate, "no-migrate", false, withEnv("do not apply pending migrations on start", envNoMigrate))
	env["no-migrate"] = envNoMigrate
	sf.register(fs, env)
	kf.register(fs, env)
	sess.register(fs, env)
	lf.register(fs, env)
	ff.register(fs, env)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: goflow serve [flags]\n\nRun the HTTP server. On the first start of an empty store it prints a\n"+
			"one-time setup token for creating the first administrator.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := a.parse(fs, env, args); err != nil {
		return helpOK(err)
	}
	log, err := lf.logger(a.stderr)
	if err != nil {
		return err
	}
	if err := sess.validate(); err != nil {
		return err
	}
	if err := ff.validate(); err != nil {
		return err
	}

	log.Info("goflow starting", "version", version)
	box, err := kf.box(sf, log)
	if err != nil {
		return err
	}
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

	pending, err := migrateOnStart(ctx, st, noMigrate, log)
	if err != nil {
		return err
	}
	var setupToken string
	if pending == 0 {
		if setupToken, err = newSetupToken(ctx, st); err != nil {
			return err
		}
	} else {
		log.Warn("not checking for accounts while migrations are pending; setup is disabled")
	}

	docs, closeDocs, err := openDocs(ctx, sf, st)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := closeDocs(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close projections store: %w", cerr))
		}
	}()
	runner, err := projections.NewRunner(projections.RunnerConfig{
		Log: st, Docs: docs, Projections: projections.All(), Logger: log,
	})
	if err != nil {
		return err
	}
	// The runner outlives the serving context: requests still draining may wait for their
	// writes to be projected. It stops once the HTTP server is done, before the stores close.
	runCtx, stopRunner := context.WithCancel(context.WithoutCancel(ctx))
	runDone := make(chan error, 1)
	go func() { runDone <- runner.Run(runCtx) }()
	log.Info("projections running", "projections", len(projections.All()))
	defer func() {
		stopRunner()
		if rerr := <-runDone; rerr != nil {
			err = errors.Join(err, rerr)
		}
		log.Info("projections stopped")
	}()

	fanout, closeFanout, err := ff.open(ctx, log)
	if err != nil {
		return err
	}
	if fanout != nil {
		log.Info("co-editing fan-out connected", "url", redactURL(ff.url))
	}
	defer func() {
		if cerr := closeFanout(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close co-editing fan-out: %w", cerr))
		}
	}()

	srv, err := web.New(web.Config{
		Addr: addr, Logger: log, Store: st, Docs: docs, Projections: runner,
		Auth: sess.authConfig(setupToken), SecretBox: box, Fanout: fanout,
	})
	if err != nil {
		return err
	}
	// Listen here rather than in ListenAndServe: the setup notice names the real port.
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if setupToken != "" {
		printSetupNotice(a.stderr, log, lf.json(), setupToken, ln.Addr())
	}
	return srv.Serve(ctx, ln)
}

// Command goflow is GoFlow's one binary: the HTTP server and its operational tools.
//
//	goflow serve            run the server (migrating the store first)
//	goflow migrate up       apply pending migrations
//	goflow migrate status   list migrations and whether each is applied
//	goflow projections rebuild [name]   rebuild projections from the start of the log
//	goflow projections status           show the projections' checkpoints
//	goflow user create      create an account (the first administrator, say)
//	goflow version          print the version
//	goflow bench append     benchmark the Postgres store against a raw baseline
//	goflow bench pages      benchmark page reads and projection rebuilds
//	goflow bench collab     benchmark co-editing over the WebSocket protocol
//	goflow bench workflows  benchmark Lua workflow runs and query round trips
//
// Settings come from flags, then GOFLOW_* environment variables, then defaults; run
// "goflow <command> -h" for each command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "goflow: %v\n", err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "goflow: %v\n", err)
		os.Exit(1)
	}
}

// errUsage marks command-line mistakes (exit status 2).
var errUsage = errors.New("usage")

func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// app is one invocation: where input comes from, where output goes and how the environment is
// read.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// run is the whole command behind main, testable in process: it returns when the command is done
// or, for serve, when ctx ends and shutdown is complete.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}.run(ctx, args)
}

const usage = `GoFlow: event-sourced low-code AI app builder.

Usage:
  goflow serve [flags]            run the HTTP server (migrates the store first)
  goflow migrate up [flags]       apply pending migrations
  goflow migrate status [flags]   list migrations and whether each is applied
  goflow projections rebuild [name] [flags]
                                  rebuild a projection (all when no name) from the start of the log
  goflow projections status [flags]
                                  show each projection's checkpoint and event count
  goflow user create --username NAME [--admin] [flags]
                                  create an account (prints a generated password
                                  unless --password-stdin)
  goflow version                  print the version
  goflow bench append [flags]     benchmark the Postgres event store against raw inserts
  goflow bench pages [flags]      benchmark page reads and projection rebuilds on Postgres
  goflow bench collab [flags]     benchmark co-editing (latency, throughput, loss, memory per
                                  connection) over the WebSocket protocol on Postgres
  goflow bench workflows [flags]  benchmark Lua workflow runs beside plain Go, and query round
                                  trips through the runtime beside direct pgx (Postgres)

Run "goflow <command> -h" for a command's flags.
`

func (a app) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(a.stderr, usage)
		return usageError("no command given")
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return a.serve(ctx, rest)
	case "migrate":
		return a.migrate(ctx, rest)
	case "projections":
		return a.projectionsCmd(ctx, rest)
	case "user":
		return a.userCmd(ctx, rest)
	case "version":
		return a.version(rest)
	case "bench":
		return a.bench(ctx, rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(a.stdout, usage)
		return nil
	default:
		fmt.Fprint(a.stderr, usage)
		return usageError("unknown command %q", cmd)
	}
}

// parse parses a subcommand's flags, applies environment variables to the flags not given (see
// applyEnv), and rejects positional arguments. It returns errHelpShown after -h.
func (a app) parse(fs *flag.FlagSet, env envBindings, args []string) error {
	fs.SetOutput(a.stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelpShown
		}
		return usageError("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return usageError("%s: unexpected arguments %q", fs.Name(), fs.Args())
	}
	if err := applyEnv(fs, env, a.getenv); err != nil {
		return usageError("%s: %v", fs.Name(), err)
	}
	return nil
}

// errHelpShown ends a command after its -h output; run reports success.
var errHelpShown = errors.New("help shown")

func helpOK(err error) error {
	if errors.Is(err, errHelpShown) {
		return nil
	}
	return err
}

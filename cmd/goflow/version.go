package main

import (
	"flag"
	"fmt"
	"runtime"
)

// version is the release version, set at build time:
//
//	go build -ldflags "-X main.version=v1.2.3" ./cmd/goflow
var version = "dev"

func (a app) version(args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintf(fs.Output(), "Usage: goflow version\n\nPrint the version.\n") }
	if err := a.parse(fs, envBindings{}, args); err != nil {
		return helpOK(err)
	}
	fmt.Fprintf(a.stdout, "goflow %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

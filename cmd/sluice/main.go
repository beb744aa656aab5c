// Command sluice runs the Sluice message queue service.
//
//	sluice dev       one process on an embedded store, for trying Sluice out
//	sluice serve     a production node on TiKV and S3-compatible storage
//	sluice token     mint or revoke a control-plane token
//	sluice healthcheck  exit 0 when a node's /healthz answers 200 (for images)
//	sluice version   print the version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `Usage: sluice <command> [flags]

Commands:
  dev       run the whole service in one process on a local store (./.sluice)
  serve     run a node on TiKV and S3-compatible storage
  token     control-plane tokens: token create --role operator|tenant-admin, token revoke
  billing   billing export --from --to [--format cloudevents|csv]: usage for OpenMeter, Lago or a spreadsheet
  healthcheck [--url URL]  exit 0 when a node's /healthz answers 200 (Docker HEALTHCHECK)
  version   print the version

Run "sluice <command> -h" for a command's flags. Every flag can also be set
as an environment variable (--s3-bucket: SLUICE_S3_BUCKET) or as a key in the
YAML file named by --config; flags win over variables, variables over the file.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	env := environment{stdout: stdout, stderr: stderr, getenv: getenv}
	var err error
	switch args[0] {
	case "dev":
		err = runDev(ctx, env, args[1:])
	case "serve":
		err = runServe(ctx, env, args[1:])
	case "token":
		err = runToken(ctx, env, args[1:])
	case "billing":
		err = runBilling(ctx, env, args[1:])
	case "healthcheck":
		err = runHealthcheck(ctx, env, args[1:])
	case "version", "--version", "-version":
		err = runVersion(env)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "sluice: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		switch err {
		case errHelp:
			return 0
		case errUsage:
			return 2
		}
		fmt.Fprintf(stderr, "sluice %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// environment is what a command may touch of the process.
type environment struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

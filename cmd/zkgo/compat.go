package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"

	"github.com/zkgo/zkgo/compat"
	"github.com/zkgo/zkgo/oracle"
)

func init() {
	register("compat", "compare a server with Java ZooKeeper 3.9.3: zkgo compat --target host:port [--oracle host:port]", runCompat)
}

func runCompat(args []string) int {
	fs := flag.NewFlagSet("compat", flag.ContinueOnError)
	target := fs.String("target", "", "host:port of the server under test (required)")
	oracleAddr := fs.String("oracle", "", "host:port of a running Java ZooKeeper to compare with; empty: start Java 3.9.3 here with the -profile settings")
	profile := fs.String("profile", "", `configuration both servers were started with: "main" (compat.MainProfile: extended types, super digest, all 4lw, tickTime 2000); empty: unknown, so only scenarios that need nothing special run`)
	fastTarget := fs.String("fast-target", "", "host:port of the target started with compat.FastProfile (for the expiry scenarios)")
	fastOracle := fs.String("fast-oracle", "", "host:port of the oracle started with compat.FastProfile; empty with -fast-target: start one here")
	run := fs.String("run", "", "run only scenarios whose name matches this regexp")
	verbose := fs.Bool("v", false, "print the transcripts of passing scenarios too")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *target == "" {
		fmt.Fprintln(os.Stderr, "zkgo compat: --target is required")
		fs.Usage()
		return 2
	}
	o := compat.Options{Target: *target, Oracle: *oracleAddr, FastTarget: *fastTarget, FastOracle: *fastOracle, Verbose: *verbose}
	switch *profile {
	case "":
	case "main":
		o.Profile = compat.MainProfile
	default:
		fmt.Fprintf(os.Stderr, "zkgo compat: unknown profile %q (want main or nothing)\n", *profile)
		return 2
	}
	if *run != "" {
		re, err := regexp.Compile(*run)
		if err != nil {
			fmt.Fprintf(os.Stderr, "zkgo compat: -run: %v\n", err)
			return 2
		}
		o.Filter = re.MatchString
	}
	startOracle := func(p *compat.Profile) (string, func(), error) {
		fmt.Fprintf(os.Stderr, "zkgo compat: starting Java ZooKeeper 3.9.3 as the oracle (profile %s)\n", p.Name)
		srv, err := oracle.StartStandalone(nil, "3.9.3", oracle.Options{TickTime: p.TickTime, Extra: p.ConfigLines(), JVMFlags: p.JVMFlags()})
		if err != nil {
			return "", nil, err
		}
		return srv.ClientAddr(), func() { srv.Close() }, nil
	}
	if o.Oracle == "" {
		p := o.Profile
		if p == nil {
			p = &compat.Profile{Name: "default", TickTime: 2000}
		}
		addr, stop, err := startOracle(p)
		if err != nil {
			fmt.Fprintf(os.Stderr, "zkgo compat: %v\n", err)
			return 1
		}
		defer stop()
		o.Oracle = addr
	}
	if o.FastTarget != "" && o.FastOracle == "" {
		addr, stop, err := startOracle(compat.FastProfile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "zkgo compat: %v\n", err)
			return 1
		}
		defer stop()
		o.FastOracle = addr
	}
	passed, diverged, err := compat.RunWith(o, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "zkgo compat: %v\n", err)
		return 1
	}
	if diverged > 0 || passed == 0 {
		return 1
	}
	return 0
}

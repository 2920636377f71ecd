// Command zkgo is the zkgo binary: a ZooKeeper-compatible server and its tools.
//
//	zkgo server [zoo.cfg]     run a server (an embedded default config when none is given)
//	zkgo version
package main

import (
	"fmt"
	"os"
)

type command struct {
	name, help string
	run        func(args []string) int
}

var commands []command

func register(name, help string, run func([]string) int) {
	commands = append(commands, command{name, help, run})
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: zkgo <command> [args]")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", c.name, c.help)
	}
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	for _, c := range commands {
		if c.name == os.Args[1] {
			os.Exit(c.run(os.Args[2:]))
		}
	}
	usage()
	os.Exit(2)
}

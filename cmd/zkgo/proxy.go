package main

import "github.com/zkgo/zkgo/proxy"

func init() {
	register("proxy", "wire-level proxy: zkgo proxy --listen ADDR --upstream host:port[,...] [--metrics ADDR] [--oracle A --candidate B]", proxy.Main)
}

// The cluster DNS of `make cluster`: CoreDNS with only the plugins its Corefile uses. There is no
// `forward`: names outside the cluster are never sent on, so no query leaves the machine.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/ready"
	"github.com/coredns/coredns/coremain"
)

func main() {
	// The order plugins run in, as in CoreDNS's own plugin.cfg.
	dnsserver.Directives = []string{"ready", "health", "errors", "loadbalance", "cache", "kubernetes"}
	coremain.Run()
}

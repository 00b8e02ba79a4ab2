// The etcd server of `make cluster`: etcd's own entry point, from the released server module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }

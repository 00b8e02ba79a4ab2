// probe is the app of the cluster check: a static binary, so its image is one file.
//
//	probe serve            HTTP on $PORT (8080): /healthz, and /dapr/config declaring one actor
//	                       type, so that the sidecar joins placement
//	probe get <url>        prints the body; fails on an error or a status >= 400
//	probe resolve <name>   prints the addresses the cluster DNS gives for the name
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: probe serve | get <url> | resolve <name>")
	}
	var err error
	switch cmd := os.Args[1]; {
	case cmd == "serve":
		err = serve()
	case cmd == "get" && len(os.Args) == 3:
		err = get(os.Args[2])
	case cmd == "resolve" && len(os.Args) == 3:
		err = resolve(os.Args[2])
	default:
		fail("usage: probe serve | get <url> | resolve <name>")
	}
	if err != nil {
		fail(err.Error())
	}
}

func serve() error {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /dapr/config", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"entities": ["Probe"]}`)
	})
	server := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return server.ListenAndServe()
}

func get(url string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	fmt.Println(string(body))
	if resp.StatusCode >= 400 {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}

func resolve(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		fmt.Println(a)
	}
	return nil
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "probe:", msg)
	os.Exit(1)
}

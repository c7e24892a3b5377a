// Command readbench reads a trace with Go's internal/trace reader (NewReader/ReadEvent, the same reader
// `go tool trace` uses), counts the events and prints the count: the parse-only reference for
// scripts/bench/bench-reader.sh. Built inside the toolchain's source tree: scripts/gotool.sh readbench.
//
//	readbench FILE
package main

import (
	"fmt"
	"internal/trace"
	"io"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: readbench FILE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fail(err)
	}
	defer f.Close()
	r, err := trace.NewReader(f)
	if err != nil {
		fail(err)
	}
	n := 0
	for {
		_, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			fail(fmt.Errorf("after %d events: %v", n, err))
		}
		n++
	}
	fmt.Println(n)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "readbench:", err)
	os.Exit(1)
}

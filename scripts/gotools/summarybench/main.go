// Command summarybench reads a trace with Go's internal/trace reader and runs every event through
// internal/trace's Summarizer, then Finalize, exactly as cmd/trace's goroutine analysis does (cmd/trace/main.go
// parseTrace), and prints only the event and goroutine counts: the Go side of scripts/bench/bench-ingest.sh.
// Unlike scripts/gotools/summary it encodes no JSON, so the time measured is reading plus summarizing.
// Built inside the toolchain's source tree: scripts/gotool.sh summarybench.
//
//	summarybench FILE
package main

import (
	"fmt"
	"internal/trace"
	"io"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: summarybench FILE")
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
	s := trace.NewSummarizer()
	n := 0
	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			fail(fmt.Errorf("after %d events: %v", n, err))
		}
		n++
		s.Event(&ev) // ev is a fresh variable per iteration: the summary may keep pointers to it
	}
	sum := s.Finalize()
	fmt.Println(n, len(sum.Goroutines))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "summarybench:", err)
	os.Exit(1)
}

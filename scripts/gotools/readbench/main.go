// Command readbench reads a trace with Go's internal/trace reader (NewReader/ReadEvent, the same reader
// `go tool trace` uses), counts the events and prints the count: the parse-only reference for
// scripts/bench/bench-reader.sh. With -summarize it also feeds every event to internal/trace's Summarizer, then
// Finalize, exactly as cmd/trace's goroutine analysis does (cmd/trace/main.go parseTrace), and prints the event
// and goroutine counts: the Go side of scripts/bench/bench-ingest.sh (unlike scripts/gotools/summary it encodes
// no JSON, so the time measured is reading plus summarizing). Built inside the toolchain's source tree:
// scripts/gotool.sh readbench.
//
//	readbench [-summarize] FILE
package main

import (
	"flag"
	"fmt"
	"internal/trace"
	"io"
	"os"
)

func main() {
	summarize := flag.Bool("summarize", false, "run every event through the Summarizer, as go tool trace's goroutine analysis does")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: readbench [-summarize] FILE")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	defer f.Close()
	r, err := trace.NewReader(f)
	if err != nil {
		fail(err)
	}
	var s *trace.Summarizer
	if *summarize {
		s = trace.NewSummarizer()
	}
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
		if s != nil {
			s.Event(&ev) // ev is a fresh variable per iteration: the summary may keep pointers to it
		}
	}
	if s != nil {
		fmt.Println(n, len(s.Finalize().Goroutines))
		return
	}
	fmt.Println(n)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "readbench:", err)
	os.Exit(1)
}

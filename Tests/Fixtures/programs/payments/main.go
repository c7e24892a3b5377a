// Command payments is a fixture program in a module whose path has no dot (`module payments`), as internal Go
// modules often are. Its package payments/ledger is user code, but by Go's "first path element has no dot" rule
// for standard import paths it would pass for the standard library. The traces it writes (Go 1.27.3, with and
// without -trimpath) check that traceware decides user frames by where their files live (inside GOROOT or not).
//
//	go run . -o payments.trace
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/trace"
	"sync"
	"time"

	"payments/ledger"
)

func main() {
	out := flag.String("o", "payments.trace", "output trace file")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Goroutines already blocked in the ledger when tracing starts: the trace opens with their stacks
	// (no runtime frame among them), before any stack shows where GOROOT is.
	in, settled := make(chan int64), make(chan int64)
	go ledger.Settle(in, settled)
	for i := 0; i < 2; i++ {
		go ledger.Wait(50 * time.Millisecond)
	}
	time.Sleep(5 * time.Millisecond)
	// Started from a goroutine of the ledger: in a -trimpath build, the first stacks then show where the
	// runtime's files are (GOROOT-relative) but not yet the main package's, which names the main module.
	started := make(chan error)
	go ledger.StartTrace(f, started)
	if err := <-started; err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	run(in, settled)
	trace.Stop()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(in chan<- int64, settled <-chan int64) {
	book := ledger.NewBook()
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				book.Post(i%7, int64(w+i))
			}
			ledger.Wait(2 * time.Millisecond)
		}(w)
	}
	go func() {
		for i := 0; i < 300; i++ {
			in <- int64(i)
		}
		close(in)
	}()
	for range settled {
	}
	wg.Wait()
}

// Command lockhold is the fixture of compare's significance tests (Tests/WarehouseTests/SignificanceTests.swift):
// a few workers take turns on one sync.Mutex, and the test builds it twice, the second build holding the lock
// longer (-ldflags "-X main.extraHold=MICROSECONDS"), to check that compare flags that change as significant and does not
// flag two sets of runs of one build. It writes a runtime/trace of the whole run to -o.
package main

import (
	"flag"
	"log"
	"os"
	"runtime/trace"
	"strconv"
	"sync"
	"time"
)

// extraHold: microseconds added to the critical section; set by the build (-X), so the two builds are the same
// source, as two builds of a service are.
var extraHold = "0"

func main() {
	out := flag.String("o", "lockhold.trace", "trace file")
	workers := flag.Int("workers", 4, "goroutines taking the lock")
	rounds := flag.Int("rounds", 30, "critical sections per worker")
	flag.Parse()
	extra, err := strconv.Atoi(extraHold)
	if err != nil {
		log.Fatalf("extraHold %q: %v", extraHold, err)
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The holds and the pauses between them are sleeps, not work: how long others wait for the lock
			// then depends on the timers, not on how busy the (shared) machine's CPUs are.
			for i := 0; i < *rounds; i++ {
				mu.Lock()
				time.Sleep(time.Duration(1000+extra) * time.Microsecond)
				mu.Unlock()
				time.Sleep(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	trace.Stop()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

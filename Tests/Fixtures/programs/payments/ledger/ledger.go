// Package ledger is the part of the payments program whose frames are user code although its import path
// ("payments/ledger") has no dot: the contended lock, the channel waits and the sleeps happen in here, so the
// innermost user frame of those blocking stacks is a ledger function, not a main one.
package ledger

import (
	"io"
	"runtime/trace"
	"sync"
	"time"
)

// StartTrace starts the execution trace and reports the outcome on started.
func StartTrace(w io.Writer, started chan<- error) { started <- trace.Start(w) }

// Book is a ledger guarded by one mutex that every poster contends for.
type Book struct {
	mu       sync.Mutex
	balances map[int]int64
}

func NewBook() *Book { return &Book{balances: map[int]int64{}} }

// Post adds amount to account while holding the lock for a while (spinning), so other posters block on it.
func (b *Book) Post(account int, amount int64) {
	b.mu.Lock()
	spin(20 * time.Microsecond)
	b.balances[account] += amount
	b.mu.Unlock()
}

// Settle hands batches from in to out over unbuffered channels: receivers and senders block on each other.
func Settle(in <-chan int64, out chan<- int64) {
	var sum int64
	for v := range in {
		sum += v
		out <- sum
	}
	close(out)
}

// Wait sleeps, so the block stack ends in the ledger ("sleep").
func Wait(d time.Duration) { time.Sleep(d) }

func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

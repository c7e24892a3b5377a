// Command workload runs one scenario under runtime/trace and writes the trace to -o.
//
// Each scenario provokes one kind of goroutine blocking (or one kind of trace content) so that the fixture traces
// under Tests/Fixtures/traces cover the runtime's event kinds. It must build with every toolchain from Go 1.19 on:
// standard library only, and no language features or APIs newer than Go 1.19 (no min/max builtins, no range over
// int, no atomic.Int64 types, no slices/maps packages).
//
//	go run . -scenario mutex -o mutex.trace
//	go run . -list
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

type scenario struct {
	about string
	run   func()
}

var scenarios = map[string]scenario{
	"mutex":      {"sync.Mutex contention: 8 goroutines fight over one lock", mutexScenario},
	"rwmutex":    {"sync.RWMutex contention: readers and writers on one lock", rwmutexScenario},
	"waitgroup":  {"sync.WaitGroup: main and waiters block in Wait until workers finish", waitgroupScenario},
	"cond":       {"sync.Cond: consumers Wait, producer Signals and Broadcasts", condScenario},
	"chan":       {"channels: unbuffered and buffered send/receive blocking, close", chanScenario},
	"select":     {"select: blocking select over several channels, timeouts, select{} forever", selectScenario},
	"sleep":      {"time.Sleep and timers in several goroutines for 2.2 s (several generations)", sleepScenario},
	"tcp":        {"TCP on loopback: echo server and clients block in the netpoller", tcpScenario},
	"file":       {"file syscalls: create, write, fsync, read, stat, remove", fileScenario},
	"gc":         {"GC pressure: many GC cycles with mark assists and sweeping", gcScenario},
	"many":       {"10,000 goroutines, each takes its own (uncontended) lock once; main waits on a WaitGroup", manyScenario},
	"annotation": {"runtime/trace tasks, regions and logs (nested, across goroutines)", annotationScenario},
	"cpuprofile": {"CPU profiling (pprof.StartCPUProfile) while tracing: CPU samples in the trace", cpuprofileScenario},
	"restart":    {"tracing started and stopped twice in one process; this file holds the second session", restartScenario},
	"gomaxprocs": {"GOMAXPROCS changed 4 -> 1 -> 3 while tracing (stop-the-world, procs created/destroyed)", gomaxprocsScenario},
	"chain":      {"a known wait chain: a task's goroutine waits on a channel fed by a second that waits on a mutex held by a third that sleeps; and a lock wait still open when tracing stops", chainScenario},
	"busy":       {"benchmark load: mixed mutex/channel/GC/TCP work for -duration or -rounds (not a committed fixture)", busyScenario},
	"service":    {"benchmark load: a request/response server on loopback TCP, a goroutine, a task and regions per request, for -duration or -rounds (not a committed fixture)", serviceScenario},
	"pool":       {"benchmark load: a worker pool, 32 long-lived goroutines fed through one channel and one mutex, for -duration or -rounds (not a committed fixture)", poolScenario},
}

var (
	flagScenario = flag.String("scenario", "", "scenario to run (see -list)")
	flagOut      = flag.String("o", "", "output trace file")
	flagList     = flag.Bool("list", false, "list scenarios and exit")
	flagDuration = flag.Duration("duration", 2*time.Second, "duration of the busy scenario (unless -rounds)")
	flagRounds   = flag.Int("rounds", 0, "busy scenario: run each part this many times instead of for -duration; pool: feed this many thousand jobs; service: send this many hundred requests")
	flagScale    = flag.Int("scale", 1, "work multiplier for the fixture scenarios")
)

// leakBlocked lets scenarios leave goroutines blocked forever (off in the busy loop, which would pile them up).
var leakBlocked = true

// sink keeps the optimizer from dropping computed values.
var sink uint64

func main() {
	flag.Parse()
	if *flagList {
		names := make([]string, 0, len(scenarios))
		for name := range scenarios {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			fmt.Printf("%-11s %s\n", name, scenarios[name].about)
		}
		return
	}
	s, ok := scenarios[*flagScenario]
	if !ok || *flagOut == "" {
		fmt.Fprintln(os.Stderr, "usage: workload -scenario NAME -o FILE (workload -list for the names)")
		os.Exit(2)
	}
	if *flagScenario == "restart" {
		s.run() // manages its own tracing sessions
		return
	}
	f, err := os.Create(*flagOut)
	check(err)
	check(trace.Start(f))
	s.run()
	trace.Stop()
	check(f.Close())
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "workload:", err)
		os.Exit(1)
	}
}

// spin burns CPU for about n loop iterations without allocating.
func spin(n int) {
	x := uint64(n)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	atomic.AddUint64(&sink, x)
}

func mutexScenario() {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 150**flagScale; i++ {
				mu.Lock()
				counter++
				spin(30000) // hold the lock long enough that others block in Lock
				mu.Unlock()
				spin(200)
			}
		}()
	}
	wg.Wait()
	atomic.AddUint64(&sink, uint64(counter))
}

func rwmutexScenario() {
	var mu sync.RWMutex
	var wg sync.WaitGroup
	data := make(map[int]int)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200**flagScale; i++ {
				mu.RLock()
				sum := 0
				for _, v := range data {
					sum += v
				}
				spin(5000)
				mu.RUnlock()
				atomic.AddUint64(&sink, uint64(sum))
			}
		}(g)
	}
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 60**flagScale; i++ {
				mu.Lock()
				data[i%64] = i + g
				spin(60000) // readers pile up in RLock behind the writer
				mu.Unlock()
				time.Sleep(100 * time.Microsecond)
			}
		}(g)
	}
	wg.Wait()
}

func waitgroupScenario() {
	var work, waiters sync.WaitGroup
	for round := 0; round < 20**flagScale; round++ {
		work.Add(4)
		for w := 0; w < 4; w++ {
			go func(w int) {
				defer work.Done()
				spin(20000 * (w + 1))
			}(w)
		}
		// A second goroutine also waits on the same WaitGroup.
		waiters.Add(1)
		go func() {
			defer waiters.Done()
			work.Wait()
		}()
		work.Wait()
		waiters.Wait()
	}
}

func condScenario() {
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	queue := 0
	done := false
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			for {
				for queue == 0 && !done {
					cond.Wait()
				}
				if queue == 0 && done {
					return
				}
				queue--
				mu.Unlock()
				spin(5000)
				mu.Lock()
			}
		}()
	}
	for i := 0; i < 100**flagScale; i++ {
		mu.Lock()
		queue++
		if i%10 == 9 {
			queue += 3
			cond.Broadcast()
		} else {
			cond.Signal()
		}
		mu.Unlock()
		time.Sleep(50 * time.Microsecond)
	}
	mu.Lock()
	done = true
	cond.Broadcast()
	mu.Unlock()
	wg.Wait()
}

func chanScenario() {
	// Unbuffered ping-pong: both sides block in send and receive.
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	for i := 0; i < 200**flagScale; i++ {
		ping <- i
		<-pong
	}
	close(ping)
	<-pong // closed

	// Buffered pipeline with a slow consumer: producers block when the buffer is full.
	buf := make(chan []byte, 4)
	var wg sync.WaitGroup
	for p := 0; p < 3; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < 50**flagScale; i++ {
				buf <- make([]byte, 64+p)
			}
		}(p)
	}
	go func() { wg.Wait(); close(buf) }()
	n := 0
	for b := range buf {
		n += len(b)
		spin(3000)
	}
	atomic.AddUint64(&sink, uint64(n))

	// A receiver that blocks until the channel is closed.
	quit := make(chan struct{})
	stopped := make(chan bool)
	go func() { <-quit; stopped <- true }()
	time.Sleep(time.Millisecond)
	close(quit)
	<-stopped
}

func selectScenario() {
	a, b, c := make(chan int), make(chan int), make(chan int)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case v := <-a:
				atomic.AddUint64(&sink, uint64(v))
			case v := <-b:
				atomic.AddUint64(&sink, uint64(v))
			case c <- 1:
			case <-done:
				return
			}
		}
	}()
	for i := 0; i < 150**flagScale; i++ {
		switch i % 3 {
		case 0:
			a <- i
		case 1:
			b <- i
		default:
			<-c
		}
		if i%10 == 0 {
			time.Sleep(20 * time.Microsecond)
		}
	}
	close(done)
	wg.Wait()

	// select with a timer: blocks until the timeout fires.
	never := make(chan int)
	for i := 0; i < 10; i++ {
		select {
		case <-never:
		case <-time.After(200 * time.Microsecond):
		}
	}
	if !leakBlocked {
		return
	}
	// A goroutine that blocks forever in an empty select (still blocked when tracing stops).
	go func() { select {} }()
	// And one blocked forever in a select with no ready case.
	go func() {
		select {
		case <-never:
		case never <- 1:
		}
	}()
	time.Sleep(time.Millisecond)
}

func sleepScenario() {
	// Runs for ~2.2 s so that the trace spans several generations (the runtime starts a new one every second):
	// goroutines are asleep across generation boundaries. Long sleeps keep the trace small.
	deadline := time.Now().Add(2200 * time.Millisecond)
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for time.Now().Before(deadline) {
				time.Sleep(time.Duration(10*(g+1)) * time.Millisecond)
			}
		}(g)
	}
	t := time.NewTimer(5 * time.Millisecond)
	<-t.C
	tick := time.NewTicker(500 * time.Microsecond)
	for i := 0; i < 10; i++ {
		<-tick.C
	}
	tick.Stop()
	wg.Wait()
}

func tcpScenario() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	var serverWG sync.WaitGroup
	go func() {
		for {
			conn, err := ln.Accept() // blocks in the netpoller
			if err != nil {
				return
			}
			serverWG.Add(1)
			go func(conn net.Conn) {
				defer serverWG.Done()
				defer conn.Close()
				io.Copy(conn, conn) // echo
			}(conn)
		}
	}()
	var wg sync.WaitGroup
	for cl := 0; cl < 4; cl++ {
		wg.Add(1)
		go func(cl int) {
			defer wg.Done()
			conn, err := net.Dial("tcp", ln.Addr().String())
			check(err)
			defer conn.Close()
			msg := bytes.Repeat([]byte{byte('a' + cl)}, 512)
			reply := make([]byte, len(msg))
			for i := 0; i < 40**flagScale; i++ {
				_, err := conn.Write(msg)
				check(err)
				_, err = io.ReadFull(conn, reply) // blocks in the netpoller until the echo arrives
				check(err)
			}
		}(cl)
	}
	wg.Wait()
	ln.Close()
	serverWG.Wait()
}

func fileScenario() {
	dir, err := ioutil.TempDir("", "traceware-workload-")
	check(err)
	defer os.RemoveAll(dir)
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			block := bytes.Repeat([]byte{byte(g)}, 16<<10)
			for i := 0; i < 8**flagScale; i++ {
				name := filepath.Join(dir, fmt.Sprintf("f%d-%d", g, i))
				f, err := os.Create(name)
				check(err)
				for k := 0; k < 4; k++ {
					_, err = f.Write(block)
					check(err)
				}
				check(f.Sync()) // fsync: a long blocking syscall
				check(f.Close())
				data, err := ioutil.ReadFile(name)
				check(err)
				_, err = os.Stat(name)
				check(err)
				check(os.Remove(name))
				atomic.AddUint64(&sink, uint64(len(data)))
			}
		}(g)
	}
	wg.Wait()
}

type node struct {
	next    *node
	payload [48]byte
}

func gcScenario() {
	// A small pointerful live heap plus a fast allocation rate from several goroutines makes the GC run many
	// cycles, and the allocating goroutines get drafted into mark assists. The workers stop after a fixed number
	// of GC cycles (counted with a re-arming finalizer), so every toolchain's pacer yields the same cycle count;
	// the live heap stays small because the background sweeper's per-span events dominate the trace size.
	old := debug.SetGCPercent(25)
	defer debug.SetGCPercent(old)
	var cycles uint32
	var arm func()
	arm = func() {
		sentinel := new([16]byte)
		runtime.SetFinalizer(sentinel, func(*[16]byte) {
			atomic.AddUint32(&cycles, 1)
			arm()
		})
	}
	arm()
	target := uint32(10 * *flagScale)
	// Bounds that hold even if a toolchain's pacer runs fewer cycles: never more than about half a second of work.
	deadline := time.Now().Add(500 * time.Millisecond)
	const live = 1 << 12
	gcWorkers := 2
	var wg sync.WaitGroup
	for g := 0; g < gcWorkers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			ring := make([]*node, live)
			for i := 0; i < 2000000; i++ {
				n := &node{next: ring[(i+1)%live]}
				n.payload[0] = byte(i)
				ring[i%live] = n
				if i%1024 == 0 && (atomic.LoadUint32(&cycles) >= target || time.Now().After(deadline)) {
					break
				}
			}
			atomic.AddUint64(&sink, uint64(ring[g].payload[0]))
		}(g)
	}
	wg.Wait()
	runtime.GC() // one explicit, fully stop-the-world cycle too
}

func manyScenario() {
	const n = 10000
	locks := make([]sync.Mutex, n) // one lock per goroutine: never contended
	counts := make([]int, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			defer wg.Done()
			locks[i].Lock()
			counts[i]++
			locks[i].Unlock()
		}(i)
	}
	wg.Wait()
	atomic.AddUint64(&sink, uint64(counts[n-1]))
}

func annotationScenario() {
	ctx, root := trace.NewTask(context.Background(), "root")
	trace.Log(ctx, "phase", "start")
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			wctx, task := trace.NewTask(ctx, fmt.Sprintf("worker-%d", w))
			defer task.End()
			for i := 0; i < 5; i++ {
				trace.WithRegion(wctx, "step", func() {
					r := trace.StartRegion(wctx, "inner")
					spin(20000)
					trace.Logf(wctx, "progress", "worker %d step %d", w, i)
					time.Sleep(100 * time.Microsecond) // a region spanning a block
					r.End()
				})
			}
		}(w)
	}
	// A task that ends on another goroutine than the one that began it.
	hctx, handoff := trace.NewTask(ctx, "handoff")
	trace.Log(hctx, "", "log with an empty category")
	ended := make(chan bool)
	go func() { handoff.End(); ended <- true }()
	<-ended
	// Regions on the background task (no task in the context).
	trace.WithRegion(context.Background(), "background-region", func() { spin(10000) })
	trace.Log(context.Background(), "bg", "a log outside any task")
	// A task still open and a region still active when tracing stops.
	_, open := trace.NewTask(ctx, "never-ended")
	_ = open
	wg.Wait()
	trace.Log(ctx, "phase", "end")
	root.End()
	trace.StartRegion(context.Background(), "unfinished") // not ended: still active when tracing stops
}

// chainScenario gives critical-path and lock-holders a shape known in advance. The task "chain" runs on
// chainWaiter, which waits on a channel fed by chainFeeder, which waits on a mutex that chainHolder holds while it
// sleeps (a wake-up by the timer, from no goroutine). Walked back from the task's end: chainWaiter runs, the
// channel wait is chainFeeder's (which ran after the lock came free), the lock wait is chainHolder's (which ran
// after its sleep), and before that the sleep itself, back to when chainWaiter began to wait; then chainWaiter
// from the task's start. Last, chainStuck waits on a lock that main still holds when tracing stops: a lock wait
// with no waker.
func chainScenario() {
	var mu sync.Mutex
	ch := make(chan int)
	held := make(chan bool)
	done := make(chan bool)
	go chainHolder(&mu, held)
	<-held // chainHolder has the lock before the others start
	go chainFeeder(&mu, ch)
	go chainWaiter(ch, done)
	<-done
	var stuck sync.Mutex
	stuck.Lock()
	go chainStuck(&stuck)
	time.Sleep(5 * time.Millisecond) // chainStuck blocks in Lock; the lock is never released while tracing
}

func chainHolder(mu *sync.Mutex, held chan bool) {
	mu.Lock()
	held <- true
	time.Sleep(20 * time.Millisecond)
	spin(100000)
	mu.Unlock()
}

func chainFeeder(mu *sync.Mutex, ch chan int) {
	mu.Lock()
	spin(100000)
	mu.Unlock()
	ch <- 1
}

func chainWaiter(ch chan int, done chan bool) {
	_, task := trace.NewTask(context.Background(), "chain")
	spin(100000)
	v := <-ch
	spin(100000)
	task.End()
	atomic.AddUint64(&sink, uint64(v))
	done <- true
}

func chainStuck(mu *sync.Mutex) {
	mu.Lock()
	mu.Unlock()
}

func cpuprofileScenario() {
	check(pprof.StartCPUProfile(ioutil.Discard))
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := time.Now().Add(300 * time.Millisecond * time.Duration(*flagScale))
			for time.Now().Before(deadline) {
				spin(50000)
			}
		}()
	}
	wg.Wait()
	pprof.StopCPUProfile()
}

func restartScenario() {
	// Long-lived goroutines that exist across both sessions: one blocked on a channel, one sleeping loop.
	block := make(chan int)
	go func() { <-block }()
	stop := make(chan bool)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				time.Sleep(200 * time.Microsecond)
			}
		}
	}()
	var first bytes.Buffer // the first session is discarded: only the second is interesting
	check(trace.Start(&first))
	mutexWork(4, 20)
	trace.Stop()
	mutexWork(2, 10) // untraced work between the sessions

	f, err := os.Create(*flagOut)
	check(err)
	check(trace.Start(f))
	mutexWork(4, 20)
	close(stop)
	block <- 1
	time.Sleep(time.Millisecond)
	trace.Stop()
	check(f.Close())
}

func mutexWork(goroutines, iterations int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < iterations; i++ {
				mu.Lock()
				spin(2000)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func gomaxprocsScenario() {
	old := runtime.GOMAXPROCS(4)
	defer runtime.GOMAXPROCS(old)
	work := func() {
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 20; i++ {
					spin(10000)
					runtime.Gosched()
				}
			}()
		}
		wg.Wait()
	}
	work()
	runtime.GOMAXPROCS(1)
	work()
	runtime.GOMAXPROCS(3)
	work()
}

// busyScenario produces a large trace quickly for the reader benchmark: a mix of the scenarios above in a loop.
func busyScenario() {
	leakBlocked = false
	deadline := time.Now().Add(*flagDuration)
	var wg sync.WaitGroup
	// With -rounds the amount of work, and so the trace size, does not depend on how fast the machine is.
	loop := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				if *flagRounds > 0 && i >= *flagRounds || *flagRounds <= 0 && !time.Now().Before(deadline) {
					return
				}
				f()
			}
		}()
	}
	loop(func() { mutexWork(8, 50) })
	loop(chanScenario)
	loop(selectScenario)
	loop(tcpScenario)
	loop(func() {
		ring := make([]*node, 1<<14)
		for i := 0; i < 200000; i++ {
			ring[i%len(ring)] = &node{next: ring[(i+1)%len(ring)]}
		}
	})
	loop(func() {
		var w sync.WaitGroup
		for i := 0; i < 1000; i++ {
			w.Add(1)
			go func() { defer w.Done(); spin(100) }()
		}
		w.Wait()
	})
	wg.Wait()
}

// poolScenario is the other benchmark shape: a worker pool. A few dozen goroutines live for the whole trace,
// receiving small jobs from one channel and folding each result into shared state under one mutex, so nearly
// every event is a state transition (block on the channel or the lock, unblock, start, stop) of a long-lived
// goroutine. Go's Summarizer does little per event here, unlike busy's thousands of short-lived goroutines, so
// the two shapes load a reader and a warehouse differently.
func poolScenario() {
	const workers = 32
	jobs := make(chan int)
	var mu sync.Mutex
	results := make(map[int]uint64)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				spin(30 + j%8*10) // uneven jobs, so workers drift apart
				mu.Lock()
				results[j%64] += uint64(j)
				spin(20) // hold the lock long enough that others queue on it
				mu.Unlock()
			}
		}()
	}
	// With -rounds the number of jobs, and so the trace size, does not depend on how fast the machine is.
	deadline := time.Now().Add(*flagDuration)
	for i := 0; ; i++ {
		if *flagRounds > 0 && i >= *flagRounds*1000 || *flagRounds <= 0 && i%256 == 0 && !time.Now().Before(deadline) {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	atomic.AddUint64(&sink, results[0])
}

// serviceScenario is a third benchmark shape: a small RPC service on loopback TCP. Clients on persistent
// connections send requests; the server reads them on one goroutine per connection and handles each in a
// goroutine of its own, inside a runtime/trace task with regions and a log, touching a shared cache under a
// mutex. The trace is network and syscall heavy, has a short-lived goroutine and a task per request, and fills
// the tasks, regions and logs tables that the other shapes leave empty.
func serviceScenario() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	var cacheMu sync.Mutex
	cache := make(map[uint32]uint32)
	var conns sync.WaitGroup
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func(conn net.Conn) {
				defer conns.Done()
				defer conn.Close()
				var writeMu sync.Mutex
				var handlers sync.WaitGroup
				request := make([]byte, 8)
				for {
					if _, err := io.ReadFull(conn, request); err != nil {
						break
					}
					id := uint32(request[0]) | uint32(request[1])<<8 | uint32(request[2])<<16 | uint32(request[3])<<24
					key := uint32(request[4]) | uint32(request[5])<<8
					handlers.Add(1)
					go func(id, key uint32) { // one goroutine per request
						defer handlers.Done()
						ctx, task := trace.NewTask(context.Background(), "request")
						defer task.End()
						var value uint32
						trace.WithRegion(ctx, "lookup", func() {
							cacheMu.Lock()
							value = cache[key%512] + id
							cache[key%512] = value
							cacheMu.Unlock()
						})
						trace.WithRegion(ctx, "compute", func() { spin(2000 + int(key%4)*500) })
						if id%16 == 0 {
							trace.Logf(ctx, "request", "id %d key %d", id, key)
						}
						reply := []byte{byte(id), byte(id >> 8), byte(id >> 16), byte(id >> 24), byte(value), byte(value >> 8), 0, 0}
						writeMu.Lock()
						conn.Write(reply)
						writeMu.Unlock()
					}(id, key)
				}
				handlers.Wait()
			}(conn)
		}
	}()
	const clients = 8
	const inFlight = 4 // requests each client keeps outstanding, so handlers overlap
	deadline := time.Now().Add(*flagDuration)
	var sent uint64
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			conn, err := net.Dial("tcp", ln.Addr().String())
			check(err)
			defer conn.Close()
			reply := make([]byte, 8)
			for i := 0; ; i++ {
				n := atomic.AddUint64(&sent, inFlight)
				if *flagRounds > 0 && n > uint64(*flagRounds)*100 || *flagRounds <= 0 && !time.Now().Before(deadline) {
					return
				}
				ctx, task := trace.NewTask(context.Background(), "call")
				r := trace.StartRegion(ctx, "roundtrip")
				for k := 0; k < inFlight; k++ {
					id := uint32(c<<24 | (i*inFlight+k)&0xffffff)
					key := uint32(i*7 + k*13 + c)
					_, err := conn.Write([]byte{byte(id), byte(id >> 8), byte(id >> 16), byte(id >> 24), byte(key), byte(key >> 8), 0, 0})
					check(err)
				}
				for k := 0; k < inFlight; k++ {
					_, err := io.ReadFull(conn, reply)
					check(err)
				}
				r.End()
				task.End()
			}
		}(c)
	}
	wg.Wait()
	ln.Close()
	conns.Wait()
}

package telephony

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/huifang/huifang/telephony/simcarrier"
)

// hangUpAtOnce is an OnAnswer that ends the call as soon as it is answered.
func hangUpAtOnce(context.Context, *Call) error { return nil }

// benchDial places b.N answered calls from workers goroutines and reports calls/s; any
// call that is not answered fails the benchmark.
func benchDial(b *testing.B, g *Gateway, workers int) {
	var failed atomic.Int64
	var lastErr atomic.Value
	next := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				res, err := g.Dial(context.Background(), DialParams{To: "13900000001", OnAnswer: hangUpAtOnce})
				if err != nil || res.Outcome != OutcomeAnswered {
					failed.Add(1)
					if res != nil {
						lastErr.Store(string(res.Outcome) + " " + res.SIPReason)
					}
				}
			}
		}()
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d calls failed (last: %v)", n, b.N, lastErr.Load())
	}
}

// BenchmarkDialSimCarrier measures call attempts per second against the simulated
// carrier in the same process (answered at once, we hang up at once).
func BenchmarkDialSimCarrier(b *testing.B) {
	c := newTestCarrier(b, simcarrier.Config{Odds: simcarrier.Odds{Answer: 1},
		RingMin: time.Nanosecond, RingMax: time.Nanosecond, TalkMin: time.Minute, TalkMax: time.Minute})
	g := newTestGateway(b, Config{Trunk: Trunk{URI: c.URI()}})
	benchDial(b, g, 200)
}

// benchRate is the call rate of the sipp benchmarks: HUIFANG_BENCH_CPS, default 300.
func benchRate(b *testing.B) int {
	r, err := strconv.Atoi(os.Getenv("HUIFANG_BENCH_CPS"))
	if err != nil || r <= 0 {
		return 300
	}
	return r
}

// sippBuffers gives sipp large socket buffers, as we give the gateway.
var sippBuffers = []string{"-buff_size", "4194304"}

// BenchmarkDialSipp places calls at HUIFANG_BENCH_CPS (the trunk's CPS cap) against a
// sipp UAS (100 ms ring, answer, wait for our BYE); every call must be answered.
func BenchmarkDialSipp(b *testing.B) {
	s := runSippN(b, "uas_answer_wait_bye.xml", "udp", "", b.N, sippBuffers, "codec", "0")
	g := newTestGateway(b, Config{Trunk: Trunk{URI: s.TrunkURI(), MaxCPS: float64(benchRate(b))}})
	benchDial(b, g, 1000)
	if err := s.Wait(b); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSippToSipp is the baseline for BenchmarkDialSipp: a sipp UAC places the same
// calls (INVITE, ACK, BYE at once) at the same rate against the same sipp UAS.
func BenchmarkSippToSipp(b *testing.B) {
	uas := runSippN(b, "uas_answer_wait_bye.xml", "udp", "", b.N, sippBuffers, "codec", "0")
	b.ResetTimer()
	start := time.Now()
	uac := runSippN(b, "uac_basic.xml", "udp", "127.0.0.1:"+strconv.Itoa(uas.Port), b.N,
		append([]string{"-r", strconv.Itoa(benchRate(b))}, sippBuffers...))
	if err := uac.Wait(b); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	if err := uas.Wait(b); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCallFootprint holds b.N answered calls up at once against a sipp UAS and
// reports the gateway's goroutines and heap per call in progress.
func BenchmarkCallFootprint(b *testing.B) {
	n := max(b.N, 100)
	s := runSippN(b, "uas_answer_wait_bye.xml", "udp", "", n, sippBuffers, "codec", "0")
	g := newTestGateway(b, Config{Trunk: Trunk{URI: s.TrunkURI()}})
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap0, gor0 := ms.HeapInuse, runtime.NumGoroutine()

	release := make(chan struct{})
	var up, done sync.WaitGroup
	up.Add(n)
	for i := 0; i < n; i++ {
		done.Add(1)
		go func() {
			defer done.Done()
			answered := false
			res, err := g.Dial(context.Background(), DialParams{To: "13900000001", OnAnswer: func(ctx context.Context, c *Call) error {
				answered = true
				up.Done()
				<-release
				return nil
			}})
			if err != nil || !answered {
				up.Done()
				b.Errorf("call not answered: %v %v", err, res)
			}
		}()
	}
	up.Wait()
	time.Sleep(200 * time.Millisecond)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	gor := float64(runtime.NumGoroutine()-gor0-n) / float64(n) // minus the benchmark's own goroutine per call
	heap := float64(ms.HeapInuse-heap0) / float64(n)
	close(release)
	done.Wait()
	b.ReportMetric(gor, "goroutines/call")
	b.ReportMetric(heap/1024, "KiB-heap/call")
	b.ReportMetric(float64(n), "calls-up")
	if err := s.Wait(b); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkBridgedCalls holds HUIFANG_BENCH_BRIDGED (default 100) agent calls up at once:
// that many softphones log in as agents, each is bridged to a customer on the simulated
// carrier for HUIFANG_BENCH_TALK (default 20s; ramped up at 100 calls per second), audio flows both ways through the gateway and every call is recorded.
// It fails on any RTP sequence gap, and reports CPU and heap per call (of the whole test
// process: phones and carrier included) and the p99 from customer answer to agent
// connected. Run with -benchtime 1x.
func BenchmarkBridgedCalls(b *testing.B) {
	var ph *phones
	benchBridged(b, func(b *testing.B, g *Gateway, u string) func() {
		if ph == nil {
			ph = newPhones(b)
		}
		p, err := ph.login(context.Background(), g.Addr(), u, "pw"+u)
		if err != nil {
			b.Fatalf("login %s: %v", u, err)
		}
		return p.logout
	})
}

// BenchmarkBrowserPhoneCalls is BenchmarkBridgedCalls with browser phones: each agent is
// a pion WebRTC client (DTLS-SRTP, PCMU) connected through WebPhoneOffer, sending a tone.
func BenchmarkBrowserPhoneCalls(b *testing.B) {
	benchBridged(b, func(b *testing.B, g *Gateway, u string) func() {
		w := dialWeb(b, g, u, 0, 1000)
		return w.close
	})
}

// benchBridged runs the bridged-calls benchmark with agents connected by connect (which
// returns how to disconnect one).
func benchBridged(b *testing.B, connect func(b *testing.B, g *Gateway, user string) func()) {
	n, err := strconv.Atoi(os.Getenv("HUIFANG_BENCH_BRIDGED"))
	if err != nil || n <= 0 {
		n = 100
	}
	talk := 20 * time.Second
	if d, err := time.ParseDuration(os.Getenv("HUIFANG_BENCH_TALK")); err == nil && d > 0 {
		talk = d
	}
	// pprof labels tell the gateway's CPU from its peers' in a -cpuprofile (goroutines
	// inherit the labels of the goroutine that starts them): go tool pprof -tags.
	peers := pprof.WithLabels(context.Background(), pprof.Labels("side", "peers"))
	gateway := pprof.WithLabels(context.Background(), pprof.Labels("side", "gateway"))
	pprof.SetGoroutineLabels(peers)
	defer pprof.SetGoroutineLabels(context.Background())
	c := newTestCarrier(b, simCarrierAnswering(talk))
	creds := mapCredentials{}
	for i := 0; i < n; i++ {
		u := "agent" + strconv.Itoa(i)
		creds[u] = Agent{Username: u, HA1: HA1(u, "huifang", "pw"+u), UserID: int64(i + 1)}
	}
	// The calls ramp up at 100 per second, as a dialer paces them.
	pprof.SetGoroutineLabels(gateway)
	g := newTestGateway(b, Config{Trunk: Trunk{URI: c.URI(), MaxCPS: 100}, Credentials: creds, RecordingsDir: b.TempDir()})
	pprof.SetGoroutineLabels(peers)
	var disconnect []func()
	for i := 0; i < n; i++ {
		u := "agent" + strconv.Itoa(i)
		disconnect = append(disconnect, connect(b, g, u))
		waitAgent(b, g, u)
	}
	defer func() {
		for _, d := range disconnect {
			d()
		}
	}()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap0 := ms.HeapInuse

	b.ResetTimer()
	start := time.Now()
	results := make([]*CallResult, n)
	var wg sync.WaitGroup
	var cpu0, cpu1 time.Duration
	var heapUp uint64
	var measure sync.Once
	var up sync.WaitGroup
	up.Add(n)
	pprof.SetGoroutineLabels(gateway)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var once sync.Once
			defer once.Do(up.Done)
			res, err := g.DialAgent(context.Background(), "agent"+strconv.Itoa(i), DialParams{To: "13900000001",
				OnAnswer: func(context.Context, *Call) error { once.Do(up.Done); return nil }})
			if err != nil {
				b.Errorf("dial: %v", err)
				return
			}
			results[i] = res
		}()
	}
	pprof.SetGoroutineLabels(peers)
	// Measure the steady state: every call up, audio flowing both ways.
	up.Wait()
	setup := time.Since(start)
	time.Sleep(time.Second)
	cpu0 = cpuTime()
	time.Sleep(4 * time.Second)
	cpu1 = cpuTime()
	measure.Do(func() {
		runtime.ReadMemStats(&ms)
		heapUp = ms.HeapInuse
	})
	wg.Wait()
	b.StopTimer()

	var lats []time.Duration
	var pkts, lost uint64
	var talked time.Duration
	var mos float64
	for i, r := range results {
		if r == nil || r.Outcome != OutcomeAnswered {
			b.Fatalf("call %d: %+v", i, r)
		}
		if r.AgentRTP.Packets == 0 || r.CustomerRTP.Packets == 0 || r.Recording == "" {
			b.Fatalf("call %d: no audio or no recording: customer %+v agent %+v", i, r.CustomerRTP, r.AgentRTP)
		}
		lost += r.CustomerRTP.Lost + r.AgentRTP.Lost
		lats = append(lats, r.BridgedAt.Sub(r.AnswerAt))
		pkts += r.CustomerRTP.Packets + r.AgentRTP.Packets
		talked += r.TalkDuration()
		if r.AgentQuality != nil {
			mos += r.AgentQuality.MOS
		}
	}
	if lost != 0 {
		b.Fatalf("%d RTP packets lost", lost)
	}
	sortDurations(lats)
	p99 := lats[(len(lats)*99)/100-boolInt(len(lats) >= 100)]
	b.ReportMetric(float64(n), "calls")
	b.ReportMetric(float64(pkts)/talked.Seconds(), "rtp-in-pps/call")
	b.ReportMetric(setup.Seconds(), "s-to-connect-all")
	b.ReportMetric(100*(cpu1-cpu0).Seconds()/4/float64(n), "%cpu/call")
	// CPU per relayed packet holds when a loaded machine slows the audio down.
	b.ReportMetric(float64((cpu1-cpu0).Microseconds())/(4*float64(n)*float64(pkts)/talked.Seconds()), "µs-cpu/rtp-packet")
	b.ReportMetric(float64(heapUp-heap0)/1024/float64(n), "KiB-heap/call")
	b.ReportMetric(float64(p99.Microseconds())/1000, "ms-p99-answer-to-agent")
	b.ReportMetric(mos/float64(n), "agent-MOS")
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

func sortDurations(d []time.Duration) {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

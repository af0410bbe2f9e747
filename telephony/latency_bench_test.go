package telephony

import (
	"context"
	"encoding/binary"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/huifang/huifang/telephony/media"
)

// BenchmarkRelayLatency measures what the gateway adds to a browser phone's audio path:
// a pion client sends numbered PCMU packets (50 a second for 5 s), the gateway relays
// them to a sipp customer that echoes RTP (-rtp_echo) and relays the echo back, so each
// probe crosses the gateway twice. At the same time a plain UDP socket sends the same
// probes to sipp directly. Half the difference of the median round trips is the one-way
// time the gateway adds (SRTP, the relay, the kernel's extra loopback hop). Run with
// -benchtime 1x.
func BenchmarkRelayLatency(b *testing.B) {
	s := runSippN(b, "uas_answer.xml", "udp", "", 1, []string{"-rtp_echo"}, "talk", "9000", "codec", "0")
	g := newTestGateway(b, Config{Trunk: Trunk{URI: s.TrunkURI()}, RecordingsDir: b.TempDir()})

	const probes = 250
	var mu sync.Mutex
	sentAt := make([]time.Time, probes)
	via := make([]time.Duration, 0, probes)
	w := &webClient{}
	w.onRTP = func(p *rtp.Packet) {
		if len(p.Payload) < 8 || binary.BigEndian.Uint32(p.Payload) != 0x48554946 { // "HUIF"
			return
		}
		i := int(binary.BigEndian.Uint32(p.Payload[4:]))
		mu.Lock()
		if i < probes && !sentAt[i].IsZero() {
			via = append(via, time.Since(sentAt[i]))
		}
		mu.Unlock()
	}
	w.connect(b, g, "lat", 0)
	defer w.close()
	waitAgent(b, g, "lat")

	remote := make(chan *net.UDPAddr, 1)
	done := make(chan *CallResult, 1)
	go func() {
		res, _ := g.DialAgent(context.Background(), "lat", DialParams{To: "13900000001",
			OnAnswer: func(_ context.Context, c *Call) error { remote <- c.Media().Remote(); return nil }})
		done <- res
	}()
	var sippMedia *net.UDPAddr
	select {
	case sippMedia = <-remote:
	case <-time.After(20 * time.Second):
		b.Fatal("the call was not answered")
	}
	direct, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	directSent := make([]time.Time, probes)
	var base []time.Duration
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 1500)
		for len(base) < probes {
			_ = direct.SetReadDeadline(time.Now().Add(2 * time.Second))
			n, err := direct.Read(buf)
			if err != nil {
				return
			}
			var p rtp.Packet
			if p.Unmarshal(buf[:n]) != nil || len(p.Payload) < 8 {
				continue
			}
			i := int(binary.BigEndian.Uint32(p.Payload[4:]))
			mu.Lock()
			if i < probes {
				base = append(base, time.Since(directSent[i]))
			}
			mu.Unlock()
		}
	}()

	payload := func(i int) []byte {
		p := make([]byte, media.FrameSamples)
		for k := range p {
			p[k] = 0xff
		}
		binary.BigEndian.PutUint32(p, 0x48554946)
		binary.BigEndian.PutUint32(p[4:], uint32(i))
		return p
	}
	b.ResetTimer()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; i < probes; i++ {
		<-tick.C
		pl := payload(i)
		mu.Lock()
		sentAt[i] = time.Now()
		mu.Unlock()
		_ = w.track.WriteRTP(rtpPacket(uint16(i), uint32(i*media.FrameSamples), pl))
		pkt := rtpPacket(uint16(i), uint32(i*media.FrameSamples), pl)
		pkt.SSRC = 0x0d1ec7
		raw, _ := pkt.Marshal()
		mu.Lock()
		directSent[i] = time.Now()
		mu.Unlock()
		_, _ = direct.WriteToUDP(raw, sippMedia)
	}
	<-readDone
	b.StopTimer()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(via) < probes/2 || len(base) < probes/2 {
		b.Fatalf("too few echoes: %d through the gateway, %d direct, of %d", len(via), len(base), probes)
	}
	sortDurations(via)
	sortDurations(base)
	med := func(d []time.Duration) time.Duration { return d[len(d)/2] }
	p99 := func(d []time.Duration) time.Duration { return d[len(d)*99/100] }
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(med(via)), "ms-rtt-via-gateway-p50")
	b.ReportMetric(ms(p99(via)), "ms-rtt-via-gateway-p99")
	b.ReportMetric(ms(med(base)), "ms-rtt-direct-p50")
	b.ReportMetric(ms(p99(base)), "ms-rtt-direct-p99")
	b.ReportMetric(ms((med(via)-med(base))/2), "ms-added-one-way-p50")
	b.ReportMetric(float64(len(via)), "echoes")
}

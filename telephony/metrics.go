package telephony

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/huifang/huifang/telephony/media"
)

// Metrics are the gateway's Prometheus series: calls by kind, outcome and SIP status,
// setup and talk time, calls in progress, and what RTP brought (packets, losses,
// jitter). Make one with NewMetrics on the process's registry and give it to
// Config.Metrics; a nil *Metrics records nothing.
type Metrics struct {
	calls      *prometheus.CounterVec
	setup      *prometheus.HistogramVec
	talk       *prometheus.HistogramVec
	inProgress *prometheus.GaugeVec
	rtpPackets *prometheus.CounterVec
	rtpLost    *prometheus.CounterVec
	rtpDropped *prometheus.CounterVec
	jitter     *prometheus.HistogramVec
	mos        *prometheus.HistogramVec
	poor       *prometheus.CounterVec
	rtt        *prometheus.HistogramVec
}

// NewMetrics makes the gateway's series and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "huifang_calls_total",
			Help: "Call attempts that ended, by kind (agent, message, agent_leg, test), outcome and final SIP status (0: none came).",
		}, []string{"kind", "outcome", "sip_status"}),
		setup: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "huifang_call_setup_seconds",
			Help:    "Post-dial delay: from the INVITE to the first ring or the answer, for calls that got either.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30},
		}, []string{"kind"}),
		talk: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "huifang_call_talk_seconds",
			Help:    "Talk time of answered calls: from the answer to the end.",
			Buckets: []float64{5, 15, 30, 60, 90, 120, 180, 300, 600, 1200, 3600},
		}, []string{"kind"}),
		inProgress: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "huifang_calls_in_progress",
			Help: "Calls placed by this gateway that have not ended yet, by kind.",
		}, []string{"kind"}),
		rtpPackets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "huifang_rtp_packets_received_total",
			Help: "RTP packets received during calls, by side (customer, agent).",
		}, []string{"side"}),
		rtpLost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "huifang_rtp_packets_lost_total",
			Help: "RTP packets missing from the sequence numbers received during calls, by side (customer, agent).",
		}, []string{"side"}),
		rtpDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "huifang_rtp_packets_dropped_total",
			Help: "RTP packets refused during calls because they came from neither the peer's latched nor its signalled address (injection attempts), by side.",
		}, []string{"side"}),
		jitter: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "huifang_rtp_jitter_seconds",
			Help:    "RTP interarrival jitter (RFC 3550) at the end of each call with audio, by side (customer, agent).",
			Buckets: []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2},
		}, []string{"side"}),
	}
	m.mos = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "huifang_call_mos",
		Help:    "Estimated MOS (ITU-T G.107 E-model over loss, jitter and RTCP round trip) of each call with audio, by side (customer, agent).",
		Buckets: []float64{1.5, 2, 2.5, 3, 3.3, 3.6, 3.9, 4.1, 4.3, 4.5},
	}, []string{"side"})
	m.poor = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "huifang_calls_poor_quality_total",
		Help: "Calls whose side's estimated MOS was below 3.6, by side.",
	}, []string{"side"})
	m.rtt = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "huifang_rtp_rtt_seconds",
		Help:    "RTCP round-trip time (RFC 3550 section 6.4.1) at the end of each call, by side, when the peer sent reception reports.",
		Buckets: []float64{0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8},
	}, []string{"side"})
	reg.MustRegister(m.calls, m.setup, m.talk, m.inProgress, m.rtpPackets, m.rtpLost, m.rtpDropped, m.jitter, m.mos, m.poor, m.rtt)
	return m
}

// callStarted counts a call in progress; the returned function ends it.
func (m *Metrics) callStarted(kind string) func() {
	if m == nil {
		return func() {}
	}
	g := m.inProgress.WithLabelValues(kind)
	g.Inc()
	return g.Dec
}

// callEnded records an ended call and its customer side's RTP.
func (m *Metrics) callEnded(r *CallResult) {
	if m == nil {
		return
	}
	m.calls.WithLabelValues(r.Kind, string(r.Outcome), strconv.Itoa(r.SIPStatus)).Inc()
	if d, ok := setupTime(r); ok {
		m.setup.WithLabelValues(r.Kind).Observe(d.Seconds())
	}
	if !r.AnswerAt.IsZero() {
		m.talk.WithLabelValues(r.Kind).Observe(r.TalkDuration().Seconds())
	}
	m.rtp("customer", r.CustomerRTP)
	m.quality("customer", r.CustomerQuality)
	if r.AgentQuality != nil || r.AgentRTP.Packets > 0 {
		m.rtp("agent", r.AgentRTP)
		m.quality("agent", r.AgentQuality)
	}
}

// quality records one side's estimated MOS and RTCP round trip.
func (m *Metrics) quality(side string, q *media.Quality) {
	if q == nil {
		return
	}
	m.mos.WithLabelValues(side).Observe(q.MOS)
	if q.MOS < media.PoorMOS {
		m.poor.WithLabelValues(side).Inc()
	}
	if q.RTT > 0 {
		m.rtt.WithLabelValues(side).Observe(q.RTT.Seconds())
	}
}

// rtp records one side's RTP of one call.
func (m *Metrics) rtp(side string, s media.Stats) {
	if m == nil {
		return
	}
	if s.Dropped > 0 {
		m.rtpDropped.WithLabelValues(side).Add(float64(s.Dropped))
	}
	if s.Packets == 0 {
		return
	}
	m.rtpPackets.WithLabelValues(side).Add(float64(s.Packets))
	m.rtpLost.WithLabelValues(side).Add(float64(s.Lost))
	m.jitter.WithLabelValues(side).Observe(s.Jitter.Seconds())
}

// setupTime is the post-dial delay of r: INVITE to the first ring or the answer.
func setupTime(r *CallResult) (time.Duration, bool) {
	first := r.RingAt
	if first.IsZero() || (!r.AnswerAt.IsZero() && r.AnswerAt.Before(first)) {
		first = r.AnswerAt
	}
	if first.IsZero() || r.InviteAt.IsZero() || first.Before(r.InviteAt) {
		return 0, false
	}
	return first.Sub(r.InviteAt), true
}

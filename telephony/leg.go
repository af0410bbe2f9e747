package telephony

import (
	"net"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"

	"github.com/huifang/huifang/telephony/media"
)

// leg is one SIP dialog of ours: the customer's leg (we are the UAC) or an agent's leg
// (the agent's phone called in, or we called it).
type leg struct {
	callID    string
	localTag  string
	remoteTag string
	transport string
	// local and remote are the two parties as named in From and To, without tags.
	local, remote         sip.Uri
	localName, remoteName string
	remoteTarget          sip.Uri
	routes                []sip.Uri
	// destination, when set, is where every in-dialog request goes (outbound proxy).
	destination string
	// peers are the IP addresses in-dialog requests may come from: the phone's, or the
	// trunk's (and its outbound proxy's and answering host's). Requests from anywhere
	// else are refused, so a sniffed Call-ID and tags cannot end or change the call.
	peersMu sync.Mutex
	peers   []string
	cseq    atomic.Uint32

	media    *media.Session
	localSDP []byte

	// ended is closed when the peer sends BYE (or CANCEL before answer).
	ended     chan struct{}
	endOnce   sync.Once
	dtmf      chan byte
	acked     chan struct{}
	ackedOnce sync.Once
	// hangup asks an answered call to end from our side, naming who ended it.
	hangup chan string
}

func newLeg(callID, localTag string) *leg {
	return &leg{
		callID:   callID,
		localTag: localTag,
		ended:    make(chan struct{}),
		dtmf:     make(chan byte, 16),
		acked:    make(chan struct{}),
		hangup:   make(chan string, 1),
	}
}

// addPeer allows in-dialog requests from host (an IP address or a name to resolve).
func (l *leg) addPeer(host string) {
	if host == "" {
		return
	}
	ips := []string{host}
	if ip := net.ParseIP(host); ip != nil {
		ips = []string{ip.String()}
	} else if addrs, err := net.LookupHost(host); err == nil {
		ips = addrs
	}
	l.peersMu.Lock()
	defer l.peersMu.Unlock()
	for _, ip := range ips {
		if !slices.Contains(l.peers, ip) {
			l.peers = append(l.peers, ip)
		}
	}
}

// allowMediaFromPeers lets the leg's RTP session latch to the signalling peers'
// addresses as well as the SDP's (phones behind NAT).
func (l *leg) allowMediaFromPeers() {
	if l.media == nil {
		return
	}
	l.peersMu.Lock()
	peers := slices.Clone(l.peers)
	l.peersMu.Unlock()
	for _, p := range peers {
		l.media.AllowSource(p)
	}
}

// fromPeer reports whether a request from source (HOST:PORT) comes from the dialog's
// peer. A leg that knows no peer accepts any source.
func (l *leg) fromPeer(source string) bool {
	ip := sourceIP(source)
	if p := net.ParseIP(ip); p != nil {
		ip = p.String()
	}
	l.peersMu.Lock()
	defer l.peersMu.Unlock()
	return len(l.peers) == 0 || slices.Contains(l.peers, ip)
}

// peerEnded marks the dialog as ended by the peer.
func (l *leg) peerEnded() { l.endOnce.Do(func() { close(l.ended) }) }

func (l *leg) gotAck() { l.ackedOnce.Do(func() { close(l.acked) }) }

// pushDTMF queues a digit the peer pressed, dropping it when nobody reads.
func (l *leg) pushDTMF(d byte) {
	select {
	case l.dtmf <- d:
	default:
	}
}

// request builds an in-dialog request (RFC 3261 section 12.2.1.1).
func (l *leg) request(method sip.RequestMethod, seq uint32) *sip.Request {
	req := sip.NewRequest(method, l.remoteTarget)
	for _, r := range l.routes {
		req.AppendHeader(&sip.RouteHeader{Address: r})
	}
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	from := &sip.FromHeader{DisplayName: l.localName, Address: l.local, Params: sip.NewParams()}
	from.Params.Add("tag", l.localTag)
	req.AppendHeader(from)
	to := &sip.ToHeader{DisplayName: l.remoteName, Address: l.remote, Params: sip.NewParams()}
	if l.remoteTag != "" {
		to.Params.Add("tag", l.remoteTag)
	}
	req.AppendHeader(to)
	cid := sip.CallIDHeader(l.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	req.SetTransport(l.transport)
	if l.destination != "" {
		req.SetDestination(l.destination)
	}
	return req
}

// nextCSeq returns the CSeq number of our next in-dialog request.
func (l *leg) nextCSeq() uint32 { return l.cseq.Add(1) }

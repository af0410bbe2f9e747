package telephony

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/emiago/sipgo/siptest"
	"github.com/stretchr/testify/require"
)

// sendRaw sends one SIP message over UDP to addr and returns the responses that come
// back within a short wait.
func sendRaw(t *testing.T, addr, msg string) []*sip.Response {
	t.Helper()
	c, err := net.Dial("udp", addr)
	require.NoError(t, err)
	defer c.Close()
	msg = strings.ReplaceAll(msg, "LOCAL", c.LocalAddr().String())
	_, err = c.Write([]byte(msg))
	require.NoError(t, err)
	var out []*sip.Response
	buf := make([]byte, 65535)
	for {
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := c.Read(buf)
		if err != nil {
			return out
		}
		m, err := sip.ParseMessage(buf[:n])
		require.NoError(t, err)
		if r, ok := m.(*sip.Response); ok {
			out = append(out, r)
			if !r.IsProvisional() {
				return out
			}
		}
	}
}

func request(method, ruri, from, extra string) string {
	return method + " " + ruri + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP LOCAL;branch=z9hG4bK" + strconv.FormatInt(time.Now().UnixNano(), 36) + "\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:" + from + "@example.com>;tag=abc\r\n" +
		"To: <" + ruri + ">\r\n" +
		"Call-ID: " + strconv.FormatInt(time.Now().UnixNano(), 36) + "@example.com\r\n" +
		"CSeq: 1 " + method + "\r\n" +
		"Contact: <sip:" + from + "@LOCAL>\r\n" + extra +
		"Content-Length: 0\r\n\r\n"
}

func TestNoOpenRelay(t *testing.T) {
	creds := mapCredentials{"agent1": {Username: "agent1", HA1: HA1("agent1", "huifang", "pw1")}}
	// A trunk that must never see a request from outsiders.
	trunk, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer trunk.Close()
	g := newTestGateway(t, Config{Trunk: Trunk{URI: "sip:" + trunk.LocalAddr().String()}, Credentials: creds})
	withoutCreds := newTestGateway(t, Config{Trunk: Trunk{URI: "sip:" + trunk.LocalAddr().String()}})

	tests := []struct {
		name string
		gw   *Gateway
		msg  string
		want int
		hdr  string
	}{
		{"INVITE to a number is challenged", g, request("INVITE", "sip:13900000001@"+g.Addr(), "mallory", ""), 407, "Proxy-Authenticate"},
		{"REGISTER is challenged", g, request("REGISTER", "sip:"+g.Addr(), "mallory", ""), 401, "WWW-Authenticate"},
		{"forged credentials are refused", g, request("INVITE", "sip:13900000001@"+g.Addr(), "agent1",
			`Proxy-Authorization: Digest username="agent1", realm="huifang", nonce="1.2", uri="sip:x", response="00000000000000000000000000000000"`+"\r\n"), 407, "Proxy-Authenticate"},
		{"no registrar: INVITE refused", withoutCreds, request("INVITE", "sip:13900000001@"+g.Addr(), "mallory", ""), 403, ""},
		{"no registrar: REGISTER refused", withoutCreds, request("REGISTER", "sip:"+g.Addr(), "mallory", ""), 403, ""},
		{"BYE outside a dialog", g, request("BYE", "sip:x@"+g.Addr(), "mallory", ""), 481, ""},
		{"unknown method", g, request("PUBLISH", "sip:x@"+g.Addr(), "mallory", ""), 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := sendRaw(t, tt.gw.Addr(), tt.msg)
			require.NotEmpty(t, res)
			final := res[len(res)-1]
			require.Equal(t, tt.want, final.StatusCode)
			if tt.hdr != "" {
				require.NotNil(t, final.GetHeader(tt.hdr))
			}
		})
	}
	_ = trunk.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, _, err = trunk.ReadFrom(make([]byte, 100))
	require.Error(t, err, "nothing reached the trunk")
}

func TestRegisterWithWrongPasswordIsForbidden(t *testing.T) {
	creds := mapCredentials{"agent1": {Username: "agent1", HA1: HA1("agent1", "huifang", "pw1")}}
	g := newTestGateway(t, Config{Credentials: creds})
	res := sendRaw(t, g.Addr(), request("REGISTER", "sip:"+g.Addr(), "agent1", ""))
	require.Equal(t, 401, res[0].StatusCode)
	ch := res[0].GetHeader("WWW-Authenticate").Value()
	nonce := ch[strings.Index(ch, `nonce="`)+7:]
	nonce = nonce[:strings.Index(nonce, `"`)]
	bad := `Authorization: Digest username="agent1", realm="huifang", nonce="` + nonce + `", uri="sip:` + g.Addr() + `", response="0123456789abcdef0123456789abcdef", algorithm=MD5` + "\r\n"
	res = sendRaw(t, g.Addr(), request("REGISTER", "sip:"+g.Addr(), "agent1", bad))
	require.Equal(t, 403, res[0].StatusCode)
	require.False(t, g.Registered("agent1"))
}

// tortureMessages returns the RFC 4475 messages in testdata/torture.
func tortureMessages(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	for _, dir := range []string{"valid", "invalid"} {
		files, err := os.ReadDir(filepath.Join("testdata", "torture", dir))
		require.NoError(t, err)
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join("testdata", "torture", dir, f.Name()))
			require.NoError(t, err)
			out[dir+"/"+f.Name()] = b
		}
	}
	return out
}

// handleRaw parses msg and, when it is a request the transaction layer would accept,
// runs the gateway's handler for it with a recording transaction.
func handleRaw(g *Gateway, msg []byte) {
	m, err := sip.ParseMessage(msg)
	if err != nil {
		return
	}
	req, ok := m.(*sip.Request)
	if !ok {
		return
	}
	if _, err := sip.ServerTxKeyMake(req); err != nil {
		return // answered 400 by the transaction layer, never reaches a handler
	}
	req.SetSource("127.0.0.1:5999")
	tx := siptest.NewServerTxRecorder(req)
	defer tx.Terminate()
	g.handlerFor(req.Method)(req, tx)
}

func TestTortureMessagesDoNotCrash(t *testing.T) {
	creds := mapCredentials{"agent1": {Username: "agent1", HA1: HA1("agent1", "huifang", "pw1")}}
	g := newTestGateway(t, Config{Credentials: creds})
	c, err := net.Dial("udp", g.Addr())
	require.NoError(t, err)
	defer c.Close()
	for name, msg := range tortureMessages(t) {
		handleRaw(g, msg)
		if len(msg) < 60000 {
			_, err := c.Write(msg)
			require.NoError(t, err, name)
		}
	}
	// The gateway still answers.
	res := sendRaw(t, g.Addr(), request("OPTIONS", "sip:"+g.Addr(), "probe", ""))
	require.NotEmpty(t, res)
	require.Equal(t, 200, res[len(res)-1].StatusCode)
}

func FuzzGatewayRequest(f *testing.F) {
	for _, msg := range tortureMessages(f) {
		f.Add(msg)
	}
	f.Add([]byte(request("INVITE", "sip:13900000001@127.0.0.1:5060", "x", "")))
	f.Add([]byte(request("REGISTER", "sip:127.0.0.1:5060", "agent1", `Authorization: Digest username="agent1", realm="huifang", nonce="a.b", uri="sip:x", response="00"`+"\r\n")))
	f.Add([]byte(request("INFO", "sip:x@127.0.0.1", "x", "Content-Type: application/dtmf-relay\r\n")))
	creds := mapCredentials{"agent1": {Username: "agent1", HA1: HA1("agent1", "huifang", "pw1")}}
	g := newTestGateway(f, Config{Credentials: creds, Logger: testLogger()})
	f.Fuzz(func(t *testing.T, msg []byte) {
		handleRaw(g, msg)
	})
}

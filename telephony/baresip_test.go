package telephony

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony/media"
)

// startBaresip runs baresip (Debian package baresip) as an agent's softphone: it logs in
// by calling the gateway (answering the digest challenge with the agent's password) and
// speaks a 440 Hz tone, for at most seconds.
func startBaresip(t *testing.T, gw, user, password string, seconds int) *storetest.SyncBuffer {
	t.Helper()
	return startBaresipVia(t, gw, "", user, password, seconds)
}

// startBaresipVia is startBaresip over a transport ("" for UDP, "tls" for SIP over TLS;
// baresip does not check the gateway's certificate).
func startBaresipVia(t *testing.T, gw, transport, user, password string, seconds int) *storetest.SyncBuffer {
	t.Helper()
	if _, err := exec.LookPath("baresip"); err != nil {
		t.Skip("baresip is not installed (Debian package baresip); CI installs it")
	}
	// The free port can be taken by another process before baresip binds it (or the TLS
	// port next to it): start again on a new port when baresip says so.
	for attempt := 1; ; attempt++ {
		out, ok := tryBaresip(t, gw, transport, user, password, seconds)
		if ok || attempt == 5 {
			return out
		}
		t.Logf("baresip attempt %d: a port was taken, starting again", attempt)
	}
}

// tryBaresip starts baresip once; ok is false when it could not bind its ports.
func tryBaresip(t *testing.T, gw, transport, user, password string, seconds int) (*storetest.SyncBuffer, bool) {
	t.Helper()
	params := ""
	if transport != "" {
		params = ";transport=" + transport
	}
	acct := "<sip:" + user + "@" + gw + params + ">;auth_pass=" + password + ";regint=0;audio_codecs=PCMU\n"
	return runBaresip(t, acct, seconds, "-e", "/dial sip:login@"+gw+params)
}

// runBaresip starts baresip once with the account line acct and more arguments, speaking
// a 440 Hz tone; ok is false when it could not bind its ports.
func runBaresip(t *testing.T, acct string, seconds int, args ...string) (*storetest.SyncBuffer, bool) {
	t.Helper()
	dir := t.TempDir()
	// A 440 Hz tone as the agent's voice (baresip's ausine needs 48 kHz; aufile plays a WAV).
	voice := filepath.Join(dir, "voice.wav")
	require.NoError(t, media.WriteWAV(voice, media.Tone(440, 20000, 8000)))
	sipPort := freePort(t)
	conf := "poll_method\t\tepoll\n" +
		"sip_listen\t\t127.0.0.1:" + strconv.Itoa(sipPort) + "\n" +
		"audio_player\t\taufile," + filepath.Join(dir, "heard.wav") + "\n" +
		"audio_source\t\taufile," + voice + "\n" +
		"audio_alert\t\taufile," + filepath.Join(dir, "alert.wav") + "\n" +
		"module_path\t\t/usr/lib/baresip/modules\n" +
		"module\t\t\tg711.so\nmodule\t\t\taufile.so\n" +
		"module_app\t\taccount.so\nmodule_app\t\tmenu.so\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "accounts"), []byte(acct), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "contacts"), nil, 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds+10)*time.Second)
	cmd := exec.CommandContext(ctx, "baresip", append([]string{"-f", dir, "-t", strconv.Itoa(seconds)}, args...)...)
	out := &storetest.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	bindFailed := func() bool { return strings.Contains(out.String(), "Address already in use") }
	require.Eventually(t, func() bool {
		return bindFailed() || strings.Contains(out.String(), "baresip is ready")
	}, 10*time.Second, 10*time.Millisecond, "baresip did not start:\n%s", out)
	if bindFailed() {
		cancel()
		<-done
		return out, false
	}
	return out, true
}

// TestBaresipAgentBridged logs a real softphone (baresip) in as an agent, bridges a sipp
// customer to it, and checks both voices are in the recording.
func TestBaresipAgentBridged(t *testing.T) {
	customer := startSipp(t, "uas_answer_pcap.xml", "udp", "talk", "2000", "codec", "8", "pcap", sippPCMA)
	creds := mapCredentials{"agent3": {Username: "agent3", HA1: HA1("agent3", "huifang", "pw3"), UserID: 11}}
	// baresip is gone by the time the gateway closes; do not wait long for its BYE answer.
	g := newTestGateway(t, Config{Trunk: Trunk{URI: customer.TrunkURI()}, Credentials: creds,
		RecordingsDir: t.TempDir(), ByeTimeout: 300 * time.Millisecond})
	out := startBaresip(t, g.Addr(), "agent3", "pw3", 8)
	require.Eventually(t, func() bool { return g.AgentConnected("agent3") }, 5*time.Second, 10*time.Millisecond,
		"baresip did not log in:\n%s", out)

	res, err := g.DialAgent(context.Background(), "agent3", DialParams{To: "13900000001"})
	require.NoError(t, err)
	require.NoError(t, customer.Wait(t))
	require.Equal(t, OutcomeAnswered, res.Outcome)
	left, right, err := media.ReadStereoWAV(res.Recording)
	require.NoError(t, err)
	require.Greater(t, media.RMS(left), 300.0, "customer's voice on the left")
	require.Greater(t, media.RMS(right), 300.0, "baresip's tone on the right")
	require.Zero(t, res.AgentRTP.Lost)
}

// TestBaresipOverTLS logs baresip in as an agent over SIP over TLS (the gateway's TLS
// listener with a self-signed certificate), bridges a sipp customer to it and checks both
// voices are recorded.
func TestBaresipOverTLS(t *testing.T) {
	customer := startSipp(t, "uas_answer_pcap.xml", "udp", "talk", "2000", "codec", "8", "pcap", sippPCMA)
	creds := mapCredentials{"agent3": {Username: "agent3", HA1: HA1("agent3", "huifang", "pw3"), UserID: 11}}
	g := newTestGateway(t, Config{Trunk: Trunk{URI: customer.TrunkURI()}, Credentials: creds, RecordingsDir: t.TempDir(),
		ByeTimeout: 300 * time.Millisecond, TLSListenAddr: "127.0.0.1:0", TLS: selfSignedTLS(t)})
	require.NotEmpty(t, g.TLSAddr())
	out := startBaresipVia(t, g.TLSAddr(), "tls", "agent3", "pw3", 8)
	require.Eventually(t, func() bool { return g.AgentConnected("agent3") }, 5*time.Second, 10*time.Millisecond,
		"baresip did not log in over TLS:\n%s", out)
	require.Equal(t, "TLS", g.agents.get("agent3").leg.transport)

	res, err := g.DialAgent(context.Background(), "agent3", DialParams{To: "13900000001"})
	require.NoError(t, err)
	require.NoError(t, customer.Wait(t))
	require.Equal(t, OutcomeAnswered, res.Outcome)
	left, right, err := media.ReadStereoWAV(res.Recording)
	require.NoError(t, err)
	require.Greater(t, media.RMS(left), 300.0, "customer's voice on the left")
	require.Greater(t, media.RMS(right), 300.0, "baresip's tone on the right")
}

// selfSignedTLS makes a certificate for 127.0.0.1, valid for the test.
func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "huifang test"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
}

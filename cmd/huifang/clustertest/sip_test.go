//go:build cluster

package clustertest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony/kamailiotest"
	"github.com/huifang/huifang/telephony/sipptest"
)

// kamailioInstalled says whether the SIP side can run: Kamailio and sipp installed. In CI
// (.ci/test-tools.sh installs both) their absence fails the test.
func kamailioInstalled(t *testing.T) bool {
	t.Helper()
	_, errK := exec.LookPath("kamailio")
	if errK != nil {
		if _, err := os.Stat("/usr/sbin/kamailio"); err == nil {
			errK = nil
		}
	}
	_, errS := exec.LookPath("sipp")
	if errK == nil && errS == nil {
		return true
	}
	if os.Getenv("CI") != "" {
		t.Fatal("kamailio or sipp missing: .ci/test-tools.sh installs them")
	}
	t.Log("kamailio or sipp is not installed: the agents work the development dialer's calls, without SIP phones")
	return false
}

// phoneUAS answers every call to any agent's phone (all agents register this one sipp as
// their Contact), keeping Kamailio's Record-Route, and waits for the gateway's BYE.
const phoneUAS = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="agents' phones">
  <recv request="INVITE"/>
  <send retrans="500"><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_Record-Route:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:phone@[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=phone 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]></send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
  <send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]></send>
</scenario>
`

// customerUAS is the trunk: every customer rings briefly, answers, and waits for the BYE.
const customerUAS = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="customers">
  <recv request="INVITE"/>
  <send><![CDATA[

      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]></send>
  <pause milliseconds="300"/>
  <send retrans="500"><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:customer@[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=customer 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]></send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
  <send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]></send>
</scenario>
`

// startUAS runs sipp as a server playing scenario for as many calls as come, until the
// test ends (sipptest's runs stop after a minute), and returns its HOST:PORT.
func startUAS(t *testing.T, name, scenario string) string {
	t.Helper()
	dir := t.TempDir()
	sf := filepath.Join(dir, name+".xml")
	require.NoError(t, os.WriteFile(sf, []byte(scenario), 0o644))
	port := sipptest.FreePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "sipp", "-sf", sf, "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-mp", strconv.Itoa(sipptest.FreeMediaPort(t)), "-t", "u1", "-nostdin", "-nr", "-m", "100000")
	cmd.Dir = dir
	logf, err := os.Create(filepath.Join(dir, "sipp.log"))
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		_ = logf.Close()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	require.Eventually(t, func() bool {
		u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			return true
		}
		u.Close()
		return false
	}, 10*time.Second, 20*time.Millisecond, "sipp %s listens", name)
	return addr
}

// startSIP starts Kamailio for the named processes' gateways (on ports chosen now), the
// phone and the customers, gives agents ct.agent1..N their SIP secrets and registers
// their phones to Kamailio.
func startSIP(t *testing.T, db *storetest.DB, agents int, procs []string) *sipLab {
	t.Helper()
	ctx := context.Background()
	s := &sipLab{gateways: map[string]string{}}
	var gws []string
	for _, p := range procs {
		s.gateways[p] = net.JoinHostPort("127.0.0.1", strconv.Itoa(sipptest.FreePort(t)))
		gws = append(gws, s.gateways[p])
	}
	k := kamailiotest.Start(t, kamailiotest.Options{DB: db, Gateways: gws})
	s.proxy = k.Addr
	s.trunk = "sip:" + startUAS(t, "customers", customerUAS)
	phone := startUAS(t, "phone", phoneUAS)
	_, phonePort, _ := net.SplitHostPort(phone)
	_, file, _, _ := runtime.Caller(0)
	register := filepath.Join(filepath.Dir(file), "..", "..", "..", "telephony", "testdata", "uac_register.xml")
	for i := 1; i <= agents; i++ {
		user, secret := fmt.Sprintf("ct.agent%d", i), fmt.Sprintf("sip-secret-%d", i)
		_, err := db.Pool.Exec(ctx, `UPDATE users SET sip_ha1 = $1 WHERE username = $2`, store.SIPHA1(user, store.SIPRealm, secret), user)
		require.NoError(t, err)
		reg := sipptest.Start(t, sipptest.Options{Scenario: register, Remote: k.Addr,
			Keys: []string{"user", user, "password", secret, "contact_port", phonePort}})
		require.NoError(t, reg.Wait(t), "%s's phone registers to Kamailio", user)
	}
	return s
}
